// Take offers and the sample offers; return their locales, and their templates with
// URLs the service can fetch.

/** Locales the Locale menu offers after the offer's own. */
const COMMON_LOCALES = ["en", "pl", "de", "fr", "es", "it", "pt-BR", "uk", "ar", "he",
                        "hi", "th", "ja", "ko", "zh-Hans"];

/** Return `template` with its relative URLs (background, stylesheets) made absolute
 * against `base` (the URL Standard's parser, as the browser resolves a link). */
export function resolveUrls(template, base) {
  const absolute = (url) => (typeof url === "string" && url ? new URL(url, base).href : url);
  const out = structuredClone(template);
  if ("background_url" in out) out.background_url = absolute(out.background_url);
  for (const rect of Array.isArray(out.rectangles) ? out.rectangles : []) {
    if (rect && typeof rect === "object" && "font_url" in rect) {
      rect.font_url = absolute(rect.font_url);
    }
  }
  return out;
}

/** Return the sample `name` of `samples` as {offer, template}: the offer's data and its
 * template, with the template's URLs resolved against where the sample is served. */
export function sampleParts(samples, name) {
  const sample = samples.find((s) => s.name === name);
  if (!sample) return null;
  const { image_template: template, ...offer } = sample.offer;
  return { offer, template: resolveUrls(template, new URL(sample.url, location.href)) };
}

/** Return the locales an offer's texts are given in (name, description), in order. */
export function offerLocales(offer) {
  const seen = new Set();
  for (const key of ["name", "description"]) {
    const value = offer?.[key];
    if (value && typeof value === "object" && !Array.isArray(value)) {
      Object.keys(value).filter((k) => k.trim()).forEach((k) => seen.add(k));
    }
  }
  return [...seen];
}

/** Fill the `select` with the offer's own locales, then common ones; `wanted` stays
 * chosen (added to the common ones when neither list has it); with none, the offer's
 * first locale, else en. */
export function fillLocales(select, offer, wanted) {
  const own = offerLocales(offer);
  const other = COMMON_LOCALES.filter((l) => !own.includes(l));
  if (wanted && !own.includes(wanted) && !other.includes(wanted)) other.push(wanted);
  const groups = [["This offer", own], ["Other", other]];
  select.replaceChildren(...groups.filter(([, list]) => list.length).map(([label, list]) => {
    const group = document.createElement("optgroup");
    group.label = label;
    group.append(...list.map((l) => new Option(l, l)));
    return group;
  }));
  select.value = wanted || own[0] || "en";
}
