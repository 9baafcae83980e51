// Take an error the service answered; return the lines the studio's alert shows for it.

/** What a refused sample resource means, and how to allow it. */
const SAMPLES_HINT = "The samples' fonts and backgrounds are served by this service, at its own " +
  "address: start it with --allow-host 127.0.0.1 (the host it listens on) to let the engine " +
  "fetch them.";

/** Return one line per problem (`path: message`), else the error's one line; with a
 * hint when the network policy refused one of the studio's own sample files. */
export function problemLines(error) {
  const lines = error.problems?.length
    ? error.problems.map((p) => `${p.path}: ${p.message}`)
    : [error.message];
  if (lines.some((l) => l.includes("/studio/samples/") &&
                        l.includes("is not allowed by the network policy"))) {
    lines.push(SAMPLES_HINT);
  }
  return lines;
}
