// Take JSON text that does not parse; return where it first breaks the grammar and why,
// as "line L column C: ..." (the browser's own messages name no place for some errors).

/** Return "line L column C: what was expected" for the first error in `text` (RFC 8259),
 * or null when the text is valid JSON. Columns count UTF-16 code units from 1. */
export function jsonError(text) {
  let i = 0;

  const fail = (what) => {
    const before = text.slice(0, i).split("\n");
    const found = i < text.length ? `found ${JSON.stringify(text[i])}` : "found the end of the text";
    const error = new Error(`line ${before.length} column ${before.at(-1).length + 1}: ${what}, ${found}`);
    error.json = true;
    throw error;
  };
  const space = () => { while (i < text.length && " \t\n\r".includes(text[i])) i++; };
  const literal = (word) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail("expected a value");
  };

  const string = () => {
    i++; // the opening quote
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) fail("a string may not hold a raw control character or line break");
      if (text[i] === "\\") {
        i++;
        if (text[i] === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail("expected 4 hex digits after \\u");
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? "x")) {
          fail("not an escape JSON knows");
        }
      }
      i++;
    }
    if (i >= text.length) fail("the string is not closed");
    i++;
  };

  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match || !match[0] || match[0] === "-") fail("expected a value");
    i += match[0].length;
  };

  const items = (close, item) => {
    i++;
    space();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      space();
      if (text[i] === ",") {
        i++;
        space();
        if (text[i] === close) fail(`expected a ${close === "}" ? "key" : "value"} after the comma (JSON allows no trailing comma)`);
      } else if (text[i] === close) {
        i++;
        return;
      } else {
        fail(`expected , or ${close}`);
      }
    }
  };

  const value = () => {
    space();
    const c = text[i];
    if (c === "{") {
      items("}", () => {
        if (text[i] !== '"') fail("expected a key in double quotes");
        string();
        space();
        if (text[i] !== ":") fail("expected : after the key");
        i++;
        value();
      });
    } else if (c === "[") {
      items("]", value);
    } else if (c === '"') {
      string();
    } else if (c === "t") {
      literal("true");
    } else if (c === "f") {
      literal("false");
    } else if (c === "n") {
      literal("null");
    } else {
      number();
    }
  };

  try {
    value();
    space();
    if (i < text.length) fail("expected the end of the text after the value");
  } catch (err) {
    if (err.json) return err.message;
    throw err;
  }
  return null;
}
