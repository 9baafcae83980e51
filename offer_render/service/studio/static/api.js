// Take the studio's inputs; call the service (render, lint, the Browser view's page) and
// return its answers, or throw a ServiceError carrying the service's error and problems.

/** An answer the service gave as an error: {error, problems: [{path, message}]}. */
export class ServiceError extends Error {
  constructor(status, error, problems) {
    super(error);
    this.status = status;
    this.problems = problems;
  }
}

/** Return the request headers: JSON, and the bearer token when one is given. */
function headers(token) {
  const h = { "Content-Type": "application/json" };
  if (token) h.Authorization = `Bearer ${token}`;
  return h;
}

/** POST `body` as JSON to `path`; return the Response, or throw a ServiceError. */
async function post(path, body, { token, signal }) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST", headers: headers(token), body: JSON.stringify(body), signal,
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ServiceError(0, `the service did not answer (${err.message}); is offer-render serve running?`, []);
  }
  if (response.ok) return response;
  let answer = {};
  try {
    answer = await response.json();
  } catch {
    answer = { error: `HTTP ${response.status}` };
  }
  throw new ServiceError(response.status, answer.error || `HTTP ${response.status}`,
                         Array.isArray(answer.problems) ? answer.problems : []);
}

/** Render the inputs (POST /v1/render, PNG; with `debug`, ?debug=1: the layout overlay);
 * return {blob, warnings}. */
export async function render({ debug, ...inputs }, options) {
  const path = debug ? "/v1/render?debug=1" : "/v1/render";
  const response = await post(path, { ...inputs, format: "png" }, options);
  return {
    blob: await response.blob(),
    warnings: Number(response.headers.get("X-Offer-Render-Warnings") || 0),
  };
}

/** Lint the template with the offer (POST /v1/lint); return {findings, errors, warnings}. */
export async function lint({ template, offer }, options) {
  const response = await post("/v1/lint", { template, offers: offer ? [offer] : [] }, options);
  return response.json();
}

/** Return the Browser view's page for the inputs (POST /studio/page): {html, width, height}. */
export async function browserPage({ template, offer, locale }, options) {
  const response = await post("/studio/page", { template, offer, locale }, options);
  return response.json();
}

/** Return the sample offers: [{name, title, url, offer}]. */
export async function samples() {
  const response = await fetch("/studio/samples.json");
  if (!response.ok) throw new ServiceError(response.status, `HTTP ${response.status}`, []);
  return response.json();
}
