// Take the designer's edits on the studio page; keep the engine's preview, the browser's
// drawing and the lint findings in step with them.

import * as api from "./api.js";
import { History } from "./history.js";
import { jsonError } from "./jsonerror.js";
import { problemLines } from "./messages.js";
import { fillLocales, sampleParts as samplePartsOf } from "./offers.js";
import { Stage } from "./stage.js";

// Debounce of the preview: a render starts this long after the last keystroke. Warm
// renders take milliseconds, so the preview follows an edit well within a second.
const RENDER_DELAY_MS = 200;
// Lint renders the template many times (every locale, worst-case data): it waits for a
// longer pause in typing than the preview does.
const LINT_DELAY_MS = 600;
// localStorage key of the texts being edited, so a reload keeps the work.
const STORAGE_KEY = "offer-render-studio";
// The sample shown on a first visit: it draws with the bundled fonts alone and no
// background, so it renders whatever hosts the service may fetch from.
const START_SAMPLE = "sticker";

const $ = (id) => document.getElementById(id);
const ui = {
  template: $("template"), offer: $("offer"), locale: $("locale"), debug: $("debug"),
  sample: $("sample"), useTemplate: $("use-template"), token: $("token"),
  problems: $("problems"), status: $("status"), preview: $("preview"), stage: $("stage"),
  frameBox: $("frame-box"), browser: $("browser"), lint: $("lint"),
  lintStatus: $("lint-status"), open: $("open"), openFile: $("open-file"),
  download: $("download"), undo: $("undo"), redo: $("redo"),
};

const state = {
  template: null, // the last template that parsed (an object), else null
  offer: null, // the offer object, or null for none
  inputProblems: [], // JSON errors of the text areas: [text]
  serviceError: null, // the last render's ServiceError, null after a good render
  samples: [],
  fileName: "template.json",
  imageSize: null, // [width, height] of the image shown
  pageSize: null,
  calls: { render: null, page: null, lint: null }, // AbortControllers of calls in flight
  timers: { render: 0, lint: 0 },
  imageUrl: null,
};

const history = new History("");
const stage = new Stage($("handles"), { onEdit: editRect, onSelect: () => {} });

// -- reading the inputs ---------------------------------------------------------------

/** Return [value, problem] for the JSON text of `field` (`what` names it in messages). */
function parseJson(text, what, { optional = false } = {}) {
  if (!text.trim()) {
    return optional ? [null, null] : [null, `${what}: empty; type a template, open a file or pick a sample offer and use its template`];
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return [null, `${what}: ${jsonMessage(err.message, text)}`];
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return [null, `${what}: must be a JSON object, got ${Array.isArray(value) ? "a list" : typeof value}`];
  }
  return [value, null];
}

/** Return where and why `text` is not JSON; the browser's message if that cannot be told
 * (JSON nested too deep to scan). */
function jsonMessage(message, text) {
  try {
    return jsonError(text) || message;
  } catch {
    return message;
  }
}

function readInputs() {
  const [template, templateProblem] = parseJson(ui.template.value, "Template JSON");
  const [offer, offerProblem] = parseJson(ui.offer.value, "Offer JSON", { optional: true });
  state.inputProblems = [templateProblem, offerProblem].filter(Boolean);
  ui.template.setAttribute("aria-invalid", String(Boolean(templateProblem)));
  ui.offer.setAttribute("aria-invalid", String(Boolean(offerProblem)));
  if (!templateProblem) state.template = template;
  if (!offerProblem) state.offer = offer;
  return state.inputProblems.length === 0;
}

function inputs() {
  return { template: state.template, offer: state.offer, locale: ui.locale.value || null };
}

function callOptions(name) {
  state.calls[name]?.abort();
  const controller = new AbortController();
  state.calls[name] = controller;
  return { token: ui.token.value.trim(), signal: controller.signal, controller };
}

// -- showing problems -----------------------------------------------------------------

/** Fill the alert with the inputs' JSON errors, else the last render's error. */
function showProblems() {
  const lines = [...state.inputProblems];
  if (!lines.length && state.serviceError) lines.push(...problemLines(state.serviceError));
  const text = lines.join("\n");
  if (ui.problems.textContent !== text) ui.problems.textContent = text;
}

// -- the engine's preview -------------------------------------------------------------

function schedule({ lint = true } = {}) {
  const ok = readInputs();
  showProblems();
  save();
  layout();
  if (!ok) return;
  clearTimeout(state.timers.render);
  state.timers.render = setTimeout(refresh, RENDER_DELAY_MS);
  if (lint) {
    clearTimeout(state.timers.lint);
    state.timers.lint = setTimeout(runLint, LINT_DELAY_MS);
  }
}

/** Render the inputs and draw the Browser view of them, at once. */
function refresh() {
  runRender();
  runPage();
}

async function runRender() {
  const given = inputs();
  const options = callOptions("render");
  performance.mark("studio:request");
  try {
    const answer = await api.render({ ...given, debug: ui.debug.checked }, options);
    if (state.calls.render !== options.controller) return;
    await showImage(answer.blob, given.template);
    state.serviceError = null;
    const w = answer.warnings;
    ui.status.textContent = `Rendered ${state.imageSize[0]}×${state.imageSize[1]}` +
      (w ? ` with ${w} warning${w === 1 ? "" : "s"}` : "");
  } catch (err) {
    if (err.name === "AbortError" || state.calls.render !== options.controller) return;
    state.serviceError = err;
    ui.status.textContent = "The last good preview is shown.";
  }
  showProblems();
}

/** Show the rendered PNG; resolve once the image element has it. */
function showImage(blob, template) {
  const url = URL.createObjectURL(blob);
  return new Promise((resolve) => {
    ui.preview.onload = () => {
      if (state.imageUrl) URL.revokeObjectURL(state.imageUrl);
      state.imageUrl = url;
      state.imageSize = [ui.preview.naturalWidth, ui.preview.naturalHeight];
      ui.preview.dataset.updates = String(Number(ui.preview.dataset.updates || 0) + 1);
      layout(template);
      performance.mark("studio:preview");
      resolve();
    };
    ui.preview.onerror = () => resolve();
    ui.preview.src = url;
  });
}

// -- the browser's drawing ------------------------------------------------------------

async function runPage() {
  const options = callOptions("page");
  try {
    const answer = await api.browserPage(inputs(), options);
    if (state.calls.page !== options.controller) return;
    state.pageSize = [answer.width, answer.height];
    ui.browser.width = String(answer.width);
    ui.browser.height = String(answer.height);
    ui.browser.srcdoc = answer.html;
    ui.browser.dataset.updates = String(Number(ui.browser.dataset.updates || 0) + 1);
    layout();
  } catch (err) {
    // The render's answer says what is wrong with the inputs; the drawing just stays.
    if (err.name !== "AbortError" && !(err instanceof api.ServiceError)) console.error(err);
  }
}

// -- lint -----------------------------------------------------------------------------

async function runLint() {
  const options = callOptions("lint");
  ui.lintStatus.textContent = "Linting…";
  try {
    const answer = await api.lint(inputs(), options);
    if (state.calls.lint !== options.controller) return;
    showFindings(answer.findings);
    const { errors, warnings } = answer;
    ui.lintStatus.textContent = errors + warnings === 0 ? "No findings." :
      `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}.`;
  } catch (err) {
    if (err.name === "AbortError" || state.calls.lint !== options.controller) return;
    ui.lintStatus.textContent = `Lint could not run: ${err.message}`;
    showFindings([]);
  }
  ui.lint.dataset.updates = String(Number(ui.lint.dataset.updates || 0) + 1);
}

function showFindings(findings) {
  const items = findings.map((f) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.severity = f.severity;
    if (f.index !== null && f.index !== undefined) button.dataset.index = String(f.index);
    const severity = document.createElement("span");
    severity.className = `severity ${f.severity}`;
    severity.textContent = f.severity;
    const where = f.rectangle === null ? "template" : f.rectangle;
    const code = document.createElement("code");
    code.textContent = f.code;
    button.append(severity, ` ${where} `, code, `: ${f.message}`);
    button.addEventListener("click", () => {
      if (button.dataset.index !== undefined) {
        stage.select(Number(button.dataset.index), { focus: true });
      }
    });
    li.append(button);
    return li;
  });
  ui.lint.replaceChildren(...items);
}

// -- layout and direct manipulation ---------------------------------------------------

/** Size the two views to fit their columns, and place the handles. */
function layout(template = state.template) {
  const size = state.imageSize ||
    (template && [template.width, template.height].every(Number.isFinite)
      ? [template.width, template.height] : [300, 150]);
  const room = ui.stage.parentElement.clientWidth || size[0];
  const zoom = Math.min(1, room / size[0]);
  ui.stage.style.width = `${size[0] * zoom}px`;
  ui.stage.style.height = `${size[1] * zoom}px`;
  stage.show(state.template, zoom);
  const page = state.pageSize || size;
  const pageZoom = Math.min(1, (ui.frameBox.parentElement.clientWidth || page[0]) / page[0]);
  ui.frameBox.style.width = `${page[0] * pageZoom}px`;
  ui.frameBox.style.height = `${page[1] * pageZoom}px`;
  ui.browser.style.transform = `scale(${pageZoom})`;
}

/** Apply a handle's change to rectangle `index` and write the template back as JSON.
 * Not while the text does not parse: writing the last good template would drop it. */
function editRect(index, changes, group) {
  if (ui.template.getAttribute("aria-invalid") === "true") {
    ui.status.textContent = "Fix the Template JSON first: the handles show its last good version.";
    return;
  }
  const template = structuredClone(state.template);
  Object.assign(template.rectangles[index], changes);
  setTemplateText(JSON.stringify(template, null, 2), group);
}

function setTemplateText(text, group = null) {
  ui.template.value = text;
  if (history.record(text, group) && group === null) history.seal();
  updateHistoryButtons();
  schedule();
}

// -- history and files ----------------------------------------------------------------

function updateHistoryButtons() {
  ui.undo.disabled = !history.canUndo;
  ui.redo.disabled = !history.canRedo;
}

function stepHistory(undo) {
  const text = undo ? history.undo() : history.redo();
  if (text === null) return;
  ui.template.value = text;
  updateHistoryButtons();
  schedule();
}

/** Open a template file: a template, or an offer holding one (its data becomes the offer). */
async function openFile(file) {
  if (!file) return;
  const text = await file.text();
  state.fileName = file.name || "template.json";
  let data = null;
  try {
    data = JSON.parse(text);
  } catch {
    // Shown as it is: the alert names the JSON error.
  }
  if (data && typeof data === "object" && !Array.isArray(data) &&
      data.image_template && typeof data.image_template === "object") {
    const { image_template: template, ...offer } = data;
    ui.offer.value = JSON.stringify(offer, null, 2);
    updateLocales(offer);
    setTemplateText(JSON.stringify(template, null, 2));
  } else {
    setTemplateText(text);
  }
  ui.status.textContent = `Opened ${state.fileName}.`;
}

function downloadTemplate() {
  const blob = new Blob([ui.template.value], { type: "application/json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = state.fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// -- samples and locales --------------------------------------------------------------

function updateLocales(offer, wanted = ui.locale.value) {
  fillLocales(ui.locale, offer, wanted);
}

function sampleParts(name) {
  return samplePartsOf(state.samples, name);
}

function chooseSample() {
  const parts = sampleParts(ui.sample.value);
  ui.useTemplate.disabled = !parts;
  if (!parts) return;
  ui.offer.value = JSON.stringify(parts.offer, null, 2);
  updateLocales(parts.offer);
  schedule();
}

function useSampleTemplate() {
  const parts = sampleParts(ui.sample.value);
  if (!parts) return;
  state.fileName = `${ui.sample.value}.json`;
  setTemplateText(JSON.stringify(parts.template, null, 2));
}

// -- storage --------------------------------------------------------------------------

function save() {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({
      template: ui.template.value, offer: ui.offer.value, locale: ui.locale.value,
    }));
  } catch {
    // Storage full or disabled: the studio works without it.
  }
}

function restore() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
    return saved && typeof saved.template === "string" ? saved : null;
  } catch {
    return null;
  }
}

// -- start ----------------------------------------------------------------------------

function wire() {
  ui.template.addEventListener("input", () => {
    performance.mark("studio:edit");
    if (history.record(ui.template.value, "typing")) updateHistoryButtons();
    schedule();
  });
  ui.offer.addEventListener("input", () => {
    readInputs();
    updateLocales(state.offer);
    schedule();
  });
  ui.locale.addEventListener("change", () => schedule({ lint: false }));
  ui.debug.addEventListener("change", () => {
    save();
    clearTimeout(state.timers.render);
    runRender();
  });
  ui.sample.addEventListener("change", chooseSample);
  ui.useTemplate.addEventListener("click", useSampleTemplate);
  ui.undo.addEventListener("click", () => stepHistory(true));
  ui.redo.addEventListener("click", () => stepHistory(false));
  ui.open.addEventListener("click", () => ui.openFile.click());
  ui.openFile.addEventListener("change", () => {
    openFile(ui.openFile.files[0]);
    ui.openFile.value = "";
  });
  ui.download.addEventListener("click", downloadTemplate);
  document.addEventListener("keydown", (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
    const key = e.key.toLowerCase();
    if (key === "z" || key === "y") {
      e.preventDefault();
      stepHistory(key === "z" && !e.shiftKey);
    }
  });
  document.addEventListener("dragover", (e) => {
    if (![...(e.dataTransfer?.types || [])].includes("Files")) return;
    e.preventDefault();
    document.body.classList.add("dragging-file");
  });
  document.addEventListener("dragleave", (e) => {
    if (e.relatedTarget === null) document.body.classList.remove("dragging-file");
  });
  document.addEventListener("drop", (e) => {
    document.body.classList.remove("dragging-file");
    if (!e.dataTransfer?.files?.length) return;
    e.preventDefault();
    openFile(e.dataTransfer.files[0]);
  });
  new ResizeObserver(() => layout()).observe(document.querySelector(".views"));
}

async function start() {
  wire();
  try {
    state.samples = await api.samples();
  } catch (err) {
    ui.status.textContent = `The sample offers could not be loaded: ${err.message}`;
  }
  ui.sample.append(...state.samples.map((s) => new Option(`${s.title} (${s.name})`, s.name)));
  const saved = restore();
  const first = sampleParts(START_SAMPLE);
  if (saved) {
    ui.template.value = saved.template;
    ui.offer.value = saved.offer || "";
  } else if (first) {
    ui.template.value = JSON.stringify(first.template, null, 2);
    ui.offer.value = JSON.stringify(first.offer, null, 2);
  }
  history.current = ui.template.value;
  readInputs();
  updateLocales(state.offer, saved?.locale || "");
  schedule();
}

start();
