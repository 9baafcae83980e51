// Take successive texts of the template; return them back on undo and redo.

/** How long a pause ends a run of typing: keystrokes closer than this undo together. */
const TYPING_PAUSE_MS = 1000;

/** Undo and redo over whole texts. Changes of one `group` (a drag, a run of typing)
 * make one step; typing starts a new step after a pause of TYPING_PAUSE_MS. */
export class History {
  constructor(text, limit = 200) {
    this.past = [];
    this.future = [];
    this.current = text;
    this.limit = limit;
    this.group = null;
    this.at = 0;
  }

  /** Record `text` as the current state; return whether it changed anything. */
  record(text, group = null) {
    if (text === this.current) return false;
    const now = performance.now();
    const same = group !== null && group === this.group &&
      (group !== "typing" || now - this.at < TYPING_PAUSE_MS);
    if (!same) {
      this.past.push(this.current);
      if (this.past.length > this.limit) this.past.shift();
    }
    this.current = text;
    this.future = [];
    this.group = group;
    this.at = now;
    return true;
  }

  /** Start a new step with the next change, whatever its group. */
  seal() {
    this.group = null;
  }

  get canUndo() { return this.past.length > 0; }
  get canRedo() { return this.future.length > 0; }

  /** Return the text before the current one (null when there is none). */
  undo() {
    if (!this.canUndo) return null;
    this.future.push(this.current);
    this.current = this.past.pop();
    this.group = null;
    return this.current;
  }

  /** Return the text undone last (null when there is none). */
  redo() {
    if (!this.canRedo) return null;
    this.past.push(this.current);
    this.current = this.future.pop();
    this.group = null;
    return this.current;
  }
}
