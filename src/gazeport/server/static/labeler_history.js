// The labeler's undo/redo: a stack of commands, each an object with async `run()` (do or redo)
// and `revert()` (undo) that issue the API calls; the store stays the single source of truth.
// A box deleted and brought back gets a new id from the store, so commands refer to boxes
// through `resolve(id)`, which follows the ids a box had before (`alias(old, new)`).

export class History {
  constructor(onChange = () => {}) {
    this.done = [];
    this.undone = [];
    this.aliases = new Map();
    this.busy = false;
    this.onChange = onChange;
  }

  /** The current id of a box that had id `id` (ids change when a delete is undone). */
  resolve(id) {
    let current = id;
    const seen = new Set();
    while (this.aliases.has(current) && !seen.has(current)) {
      seen.add(current);
      current = this.aliases.get(current);
    }
    return current;
  }

  alias(oldId, newId) {
    if (oldId !== newId) this.aliases.set(oldId, newId);
  }

  /** Run a command and remember it; a new command forgets what was undone. */
  async perform(command) {
    return this.#guard(async () => {
      const result = await command.run();
      this.done.push(command);
      this.undone = [];
      return result;
    });
  }

  async undo() {
    if (!this.done.length) return false;
    return this.#guard(async () => {
      const command = this.done.pop();
      try {
        await command.revert();
      } catch (error) {
        this.done.push(command);
        throw error;
      }
      this.undone.push(command);
      return true;
    });
  }

  async redo() {
    if (!this.undone.length) return false;
    return this.#guard(async () => {
      const command = this.undone.pop();
      try {
        await command.run();
      } catch (error) {
        this.undone.push(command);
        throw error;
      }
      this.done.push(command);
      return true;
    });
  }

  clear() {
    this.done = [];
    this.undone = [];
    this.aliases.clear();
    this.onChange();
  }

  get canUndo() {
    return this.done.length > 0;
  }

  get canRedo() {
    return this.undone.length > 0;
  }

  async #guard(work) {
    if (this.busy) return false; // one API round trip at a time keeps the stack in order
    this.busy = true;
    try {
      return await work();
    } finally {
      this.busy = false;
      this.onChange();
    }
  }
}
