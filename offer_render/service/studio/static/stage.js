// Take the template and the preview's zoom; draw a handle over each rectangle and turn
// drags, corner drags and arrow keys into new offsets and sizes in template pixels.

const ARROWS = {
  ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1],
};

/** Return whether `value` is a finite number (a field the handles can change). */
const isNumber = (value) => typeof value === "number" && Number.isFinite(value);

/** Return the rectangle's border box in template px: as CSS box-sizing: border-box
 * does, a box narrower than twice its padding grows to it (README, Decisions). */
function borderBox(rect) {
  const pad = isNumber(rect.padding) ? Math.max(0, rect.padding) : 0;
  return {
    left: rect.offset_left, top: rect.offset_top,
    width: Math.max(rect.width, 2 * pad), height: Math.max(rect.height, 2 * pad),
  };
}

/** Return the indexes of `rects` in drawing order: by `number`, then list order, the
 * rectangles without a number last (README, Decisions). */
function drawingOrder(rects) {
  const key = (i) => (isNumber(rects[i].number) ? [0, rects[i].number, i] : [1, 0, i]);
  return rects.map((_, i) => i).sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    return ka[0] - kb[0] || ka[1] - kb[1] || ka[2] - kb[2];
  });
}

/** The handles over the engine's preview. `onEdit(index, changes, group)` gets the
 * fields a gesture changed (one `group` per drag); `onSelect(index)` the selection. */
export class Stage {
  constructor(layer, { onEdit, onSelect }) {
    this.layer = layer;
    this.onEdit = onEdit;
    this.onSelect = onSelect;
    this.rects = [];
    this.zoom = 1;
    this.selected = null;
    this.handles = [];
    this.gestures = 0;
    this.corner = document.createElement("div");
    this.corner.className = "corner";
    this.corner.tabIndex = 0;
    this.corner.setAttribute("role", "button");
    this.corner.addEventListener("pointerdown", (e) => this.#resizeStart(e));
    this.corner.addEventListener("keydown", (e) => this.#key(e, "resize"));
  }

  /** Show handles for `template`'s rectangles at `zoom` (CSS px per template px). */
  show(template, zoom) {
    const rects = Array.isArray(template?.rectangles) ? template.rectangles : [];
    this.rects = rects;
    this.zoom = zoom;
    while (this.handles.length > rects.length) this.handles.pop().remove();
    while (this.handles.length < rects.length) this.handles.push(this.#handle(this.handles.length));
    const order = drawingOrder(rects);
    order.forEach((index, layer) => { this.handles[index].style.zIndex = String(layer + 1); });
    rects.forEach((rect, i) => this.#place(i, rect));
    if (this.selected !== null && this.selected >= rects.length) this.selected = null;
    this.#placeCorner();
  }

  /** Select rectangle `index` (null: none); with `focus`, move the keyboard focus to it. */
  select(index, { focus = false } = {}) {
    this.selected = index !== null && index < this.handles.length ? index : null;
    this.handles.forEach((h, i) => h.setAttribute("aria-pressed", String(i === this.selected)));
    this.#placeCorner();
    if (focus && this.selected !== null) this.handles[this.selected].focus();
    this.onSelect(this.selected);
  }

  #handle(index) {
    const el = document.createElement("div");
    el.className = "rect";
    el.tabIndex = 0;
    el.setAttribute("role", "button");
    el.setAttribute("aria-pressed", "false");
    el.dataset.index = String(index);
    const tag = document.createElement("span");
    tag.className = "tag";
    el.append(tag);
    el.addEventListener("pointerdown", (e) => this.#moveStart(e, index));
    el.addEventListener("keydown", (e) => this.#key(e, "move"));
    el.addEventListener("focus", () => { if (this.selected !== index) this.select(index); });
    this.layer.append(el);
    return el;
  }

  #place(index, rect) {
    const el = this.handles[index];
    const name = typeof rect?.name === "string" && rect.name ? rect.name : `[${index}]`;
    el.setAttribute("aria-label", `Rectangle ${name}`);
    el.firstChild.textContent = isNumber(rect?.number) ? `#${rect.number} ${name}` : name;
    const ok = rect && ["offset_left", "offset_top", "width", "height"].every((k) => isNumber(rect[k]));
    el.hidden = !ok;
    if (!ok) return;
    const box = borderBox(rect);
    Object.assign(el.style, {
      left: `${box.left * this.zoom}px`, top: `${box.top * this.zoom}px`,
      width: `${box.width * this.zoom}px`, height: `${box.height * this.zoom}px`,
    });
  }

  #placeCorner() {
    const rect = this.selected === null ? null : this.rects[this.selected];
    const shown = rect && !this.handles[this.selected].hidden;
    this.corner.classList.toggle("shown", Boolean(shown));
    if (!shown) {
      this.corner.remove();
      return;
    }
    const box = borderBox(rect);
    const name = typeof rect.name === "string" && rect.name ? rect.name : `[${this.selected}]`;
    this.corner.setAttribute("aria-label", `Resize ${name}`);
    this.corner.style.left = `${(box.left + box.width) * this.zoom}px`;
    this.corner.style.top = `${(box.top + box.height) * this.zoom}px`;
    this.corner.style.zIndex = String(this.handles.length + 1);
    if (this.corner.parentNode !== this.layer) this.layer.append(this.corner);
  }

  /** Arrow keys: move the rectangle (or, on the corner, resize it) by 1 px, 10 with Shift. */
  #key(event, what) {
    const arrow = ARROWS[event.key];
    if (!arrow || this.selected === null || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    event.preventDefault();
    const step = event.shiftKey ? 10 : 1;
    const rect = this.rects[this.selected];
    const [dx, dy] = [arrow[0] * step, arrow[1] * step];
    if (what === "move" && isNumber(rect.offset_left) && isNumber(rect.offset_top)) {
      this.onEdit(this.selected, { offset_left: rect.offset_left + dx,
                                   offset_top: rect.offset_top + dy }, null);
    } else if (what === "resize" && isNumber(rect.width) && isNumber(rect.height)) {
      this.onEdit(this.selected, { width: Math.max(1, rect.width + dx),
                                   height: Math.max(1, rect.height + dy) }, null);
    }
  }

  #moveStart(event, index) {
    if (event.button !== 0) return;
    const rect = this.rects[index];
    if (!isNumber(rect?.offset_left) || !isNumber(rect?.offset_top)) return;
    event.preventDefault();
    this.select(index, { focus: true });
    const { offset_left: left, offset_top: top } = rect;
    this.#track(event, this.handles[index], (dx, dy) => ({
      offset_left: left + dx, offset_top: top + dy,
    }));
  }

  #resizeStart(event) {
    if (event.button !== 0 || this.selected === null) return;
    const rect = this.rects[this.selected];
    if (!isNumber(rect?.width) || !isNumber(rect?.height)) return;
    event.preventDefault();
    event.stopPropagation();
    const { width, height } = rect;
    this.#track(event, this.corner, (dx, dy) => ({
      width: Math.max(1, width + dx), height: Math.max(1, height + dy),
    }));
  }

  /** Follow a pointer from `event` on `el`: each move reports `changes(dx, dy)`, the
   * distance so far in whole template px, as one gesture (one undo step). */
  #track(event, el, changes) {
    const index = this.selected;
    const group = `gesture-${++this.gestures}`;
    const [x0, y0] = [event.clientX, event.clientY];
    let last = "";
    const report = (e) => {
      const dx = Math.round((e.clientX - x0) / this.zoom);
      const dy = Math.round((e.clientY - y0) / this.zoom);
      const key = `${dx},${dy}`;
      if (key === last) return;
      last = key;
      this.onEdit(index, changes(dx, dy), group);
    };
    const end = (e) => {
      report(e);
      el.removeEventListener("pointermove", report);
      el.removeEventListener("pointerup", end);
      el.removeEventListener("pointercancel", end);
      if (el.hasPointerCapture(e.pointerId)) el.releasePointerCapture(e.pointerId);
    };
    el.setPointerCapture(event.pointerId);
    last = "0,0";
    el.addEventListener("pointermove", report);
    el.addEventListener("pointerup", end);
    el.addEventListener("pointercancel", end);
  }
}
