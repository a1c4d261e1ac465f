// The export panel: which exporters `e` runs (remembered in this browser), the button, and the
// task list of the export jobs. The jobs part of the server (`/api/jobs`, `static/jobs.js` with
// `mountJobList(element, options)`) may be absent; the panel then says which job was queued.
import { api, el } from "./layout.js";

/** The exporters of gazeport.jobs (EXPORTER_TASKS), with Pupil Player's defaults ticked. */
export const EXPORTERS = [
  ["raw", "Raw data", true],
  ["annotations", "Annotations", true],
  ["fixations", "Fixations", true],
  ["blinks", "Blinks", true],
  ["online-events", "Online events", false],
  ["world-video", "World video", false],
  ["eye-video", "Eye videos", false],
];
const STORAGE = "gazeport.player.exporters";

export class ExportPanel {
  /** root: the panel; rid: recording id; hooks: {trim() → {start, end}, notify(text, kind)}. */
  constructor(root, rid, hooks) {
    this.root = root;
    this.rid = rid;
    this.hooks = hooks;
    this.jobs = null;
    this.fallback = root.querySelector("[data-role=queued]");
    this._renderChoices();
    root.querySelector("[data-role=export]").addEventListener("click", () => this.run());
  }

  _renderChoices() {
    const box = this.root.querySelector("[data-role=exporters]");
    let saved = null;
    try {
      saved = JSON.parse(window.localStorage.getItem(STORAGE) || "null");
    } catch {
      saved = null;
    }
    for (const [name, heading, byDefault] of EXPORTERS) {
      const input = el("input", { type: "checkbox", name, value: name });
      input.checked = Array.isArray(saved) ? saved.includes(name) : byDefault;
      input.addEventListener("change", () => {
        window.localStorage.setItem(STORAGE, JSON.stringify(this.chosen()));
      });
      const label = el("label", { class: "check" });
      label.append(input, el("span", {}, heading));
      box.append(label);
    }
  }

  chosen() {
    return [...this.root.querySelectorAll("[data-role=exporters] input:checked")].map((i) => i.value);
  }

  /** Mount the shared task list when the server has the jobs part (ask its API, not by 404). */
  async mountJobs() {
    let paths = {};
    try {
      paths = (await api("/openapi.json")).paths || {};
    } catch {
      return;
    }
    if (!("/api/jobs" in paths)) return;
    try {
      const module = await import("./jobs.js");
      const box = this.root.querySelector("[data-role=jobs]");
      this.jobs = module.mountJobList(box, {
        recordingId: this.rid,
        filter: (job) => job.recording === this.rid,
        empty: "No exports of this recording yet.",
      });
    } catch {
      this.jobs = null; // the task list is optional: 'export queued as job N' instead
    }
  }

  /** `e`: export the trim range with the chosen exporters (a background job). */
  async run() {
    const exporters = this.chosen();
    if (!exporters.length) {
      this.hooks.notify("Pick at least one exporter to export.", "error");
      return;
    }
    const { start, end } = this.hooks.trim();
    const body = { start_frame: start, end_frame: end, exporters };
    try {
      const answer = await api(`/api/recordings/${encodeURIComponent(this.rid)}/exports`, {
        method: "POST",
        body,
      });
      const text = `Export queued as job ${answer.job_id} (frames ${start} – ${end}).`;
      this.hooks.notify(text, "ok");
      if (this.jobs && typeof this.jobs.refresh === "function") {
        this.jobs.refresh();
      } else if (!this.jobs) {
        this.fallback.prepend(el("li", { "data-job": String(answer.job_id) }, text));
      }
    } catch (error) {
      this.hooks.notify(error.message, "error");
    }
  }
}
