// The task list of background jobs (recording exports, dataset exports): a reusable component.
//
// API (ES module, no build step):
//
//   import { mountJobList, startExport, startDatasetExport, cancelJob, watchJobs } from "/static/jobs.js";
//
//   const list = mountJobList(element, {
//     filter: (job) => job.recording === rid,   // which jobs to show (default: all)
//     empty: "No exports yet.",                 // text while there are none
//     onChange: (jobs) => {},                   // called with the shown jobs after every change
//   });
//   list.refresh();   // fetch /api/jobs again (e.g. right after starting a job)
//   list.jobs();      // the shown jobs, newest first
//   list.destroy();   // stop listening and empty the element
//
//   const id = await startExport(rid, { exporters: ["raw"], start_frame: 0, end_frame: 99 });
//   const id = await startDatasetExport({ format: "yolo", split: "train=80,val=20" });
//   await cancelJob(id);
//   const stop = watchJobs((job) => {});       // every job snapshot as it changes
//
// A job snapshot is what GET /api/jobs/{id} answers: {id, seq (larger: newer), kind ("export" | "dataset"), title,
// status ("queued" | "running" | "completed" | "failed" | "cancelled"), progress (0..1),
// tasks: [{name, title, status, progress, text, error?, warnings?}], recording, recording_path,
// out_dir (the folder, relative to the served folder when inside it), error, download (the zip
// of a finished dataset export), created_utc, started_utc, finished_utc}.
//
// The list shows queued, running (with progress bars), completed (kept, with their folder),
// failed (with the reason) and cancelled jobs, newest first, each queued or running one with a
// Cancel button. It is live through one shared EventSource on /api/jobs/events per page while
// any job is unfinished (the server sends a snapshot of each job that changed), and looks at
// /api/jobs every few seconds while none is; without EventSource it polls every second. Its
// styles are in jobs.css, added to the page on first use.
import { api, el } from "./layout.js";

const FINISHED = new Set(["completed", "failed", "cancelled"]);
const STATUS_TEXT = {
  queued: "Queued",
  running: "Running",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
};
const POLL_MS = 1000; // without EventSource
const IDLE_POLL_MS = 3000; // while no job is unfinished
const RETRY_MS = 250; // after a stream ended

/** Queue an export of recording `rid` (body: see POST /api/recordings/{id}/exports); its job id. */
export async function startExport(rid, body = {}) {
  const answer = await api(`/api/recordings/${encodeURIComponent(rid)}/exports`, { method: "POST", body });
  hub.poke();
  return answer.job_id;
}

/** Start a dataset export (the options of `gazeport dataset export`); its job id. */
export async function startDatasetExport(body = {}) {
  const answer = await api("/api/datasets/exports", { method: "POST", body });
  hub.poke();
  return answer.job_id;
}

/** Cancel a queued or running job; its snapshot. */
export async function cancelJob(id) {
  const snapshot = await api(`/api/jobs/${encodeURIComponent(id)}/cancel`, { method: "POST" });
  hub.update(snapshot);
  return snapshot;
}

/** Call `callback(job)` with every job snapshot as it changes; returns a function that stops. */
export function watchJobs(callback) {
  return hub.subscribe(callback);
}

// --- one source of job snapshots per page ---------------------------------------------------
//
// While a job is queued or running, the page holds an EventSource on /api/jobs/events?until=idle;
// the server ends that stream once every job has finished, and the page then only looks at
// /api/jobs every few seconds (jobs started elsewhere: another tab, a script), so an idle page
// holds no open request. Starting a job here opens the stream at once. Without EventSource,
// it polls /api/jobs every second.

const hub = {
  jobs: new Map(),
  listeners: new Set(),
  source: null,
  timer: null,
  loading: null,
  lastEventId: "",
  retryMs: RETRY_MS,

  subscribe(callback) {
    this.listeners.add(callback);
    for (const job of this.jobs.values()) callback(job);
    if (this.listeners.size === 1) this.poke();
    return () => {
      this.listeners.delete(callback);
      if (!this.listeners.size) this.stop();
    };
  },

  update(job) {
    const known = this.jobs.get(job.id);
    if (known && FINISHED.has(known.status) && !FINISHED.has(job.status)) return; // stale
    this.jobs.set(job.id, job);
    for (const callback of this.listeners) callback(job);
  },

  busy() {
    return [...this.jobs.values()].some((job) => !FINISHED.has(job.status));
  },

  async load() {
    if (!this.loading) {
      this.loading = api("/api/jobs")
        .then((answer) => answer.jobs.forEach((job) => this.update(job)))
        .finally(() => {
          this.loading = null;
        });
    }
    return this.loading;
  },

  /** Look at the jobs now, then follow them: the stream while any is unfinished, else idle. */
  poke() {
    if (!this.listeners.size) return;
    this.load()
      .then(() => {
        this.retryMs = RETRY_MS;
      })
      .catch(() => {
        this.retryMs = Math.min(this.retryMs * 2, 5000); // the server is away: back off
      })
      .then(() => this.follow());
  },

  follow() {
    if (!this.listeners.size || this.source) return;
    if (typeof EventSource !== "function") {
      this.every(POLL_MS);
      return;
    }
    if (!this.busy()) {
      this.every(IDLE_POLL_MS);
      return;
    }
    this.every(0);
    const after = this.lastEventId ? `&after=${encodeURIComponent(this.lastEventId)}` : "";
    const source = new EventSource(`/api/jobs/events?until=idle${after}`);
    source.addEventListener("job", (event) => {
      if (event.lastEventId) this.lastEventId = event.lastEventId;
      try {
        this.update(JSON.parse(event.data));
      } catch {
        /* a malformed event: the next one or a reload corrects it */
      }
    });
    source.addEventListener("error", () => {
      // The server ended the stream (every job finished, or its time was up) or it cannot be
      // reached: no automatic reconnect; look again and follow from there.
      source.close();
      if (this.source === source) this.source = null;
      window.setTimeout(() => this.poke(), this.retryMs);
    });
    this.source = source;
  },

  /** Poll /api/jobs every `ms` (0: stop polling). */
  every(ms) {
    if (this.timer) window.clearInterval(this.timer);
    this.timer = null;
    if (ms) {
      this.timer = window.setInterval(() => {
        if (this.source) return;
        this.load()
          .catch(() => {})
          .then(() => {
            if (this.busy() && typeof EventSource === "function") this.follow();
          });
      }, ms);
    }
  },

  stop() {
    if (this.source) this.source.close();
    this.every(0);
    this.source = null;
  },
};

window.addEventListener("pagehide", () => hub.stop());

// --- the list ------------------------------------------------------------------------------

function addStyles() {
  if (document.querySelector('link[data-jobs-css]')) return;
  const link = el("link", { rel: "stylesheet", href: "/static/jobs.css", "data-jobs-css": "" });
  document.head.append(link);
}

/** ISO time → "14:03:07" in the browser's time zone. */
function clock(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

function percent(fraction) {
  return `${Math.round((fraction || 0) * 100)}%`;
}

function progressBar(fraction, label) {
  const bar = el("progress", { max: "1", "aria-label": label });
  bar.value = Math.min(Math.max(fraction || 0, 0), 1);
  return bar;
}

function copyButton(text) {
  const button = el("button", { type: "button", class: "job-copy", title: "Copy the folder path" }, "Copy");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select the path to copy it";
    }
    window.setTimeout(() => {
      button.textContent = "Copy";
    }, 1500);
  });
  return button;
}

/** "3 images, 2 boxes · train 2, val 1" from a dataset export's result. */
function summary(result) {
  const parts = [];
  const n = (count, one, many) => `${count} ${count === 1 ? one : many}`;
  if (typeof result.images === "number") parts.push(n(result.images, "image", "images"));
  if (typeof result.boxes === "number") parts.push(n(result.boxes, "box", "boxes"));
  let text = parts.join(", ");
  const splits = Object.entries(result.splits || {}).map(([name, count]) => `${name} ${count}`);
  if (splits.length) text += ` · ${splits.join(", ")}`;
  if (result.unchanged) text += " · nothing changed since the last export";
  return text;
}

function taskRow(task) {
  const row = el("li", { class: `job-task status-${task.status}`, "data-task": task.name });
  const name = el("span", { class: "job-task-name" }, task.title || task.name);
  const skipped = Object.values(task.skipped || {});
  let label = task.status === "running" ? task.text || "running" : task.status;
  if (task.status === "completed" && skipped.length) label = "completed, nothing to export";
  const state = el("span", { class: "job-task-state", title: skipped.join("; ") || label }, label);
  row.append(name, progressBar(task.progress, `${task.title || task.name} progress`), state);
  if (task.error) row.append(el("p", { class: "job-error" }, task.error));
  if (task.warnings && task.warnings.length) {
    const notes = el("details", { class: "job-notes" });
    notes.append(el("summary", {}, task.warnings.length === 1 ? "1 note" : `${task.warnings.length} notes`));
    for (const w of task.warnings) notes.append(el("p", {}, w));
    row.append(notes);
  }
  return row;
}

function jobCard(job, onCancel) {
  const card = el("li", { class: `job status-${job.status}`, "data-job": job.id, "data-status": job.status });
  const head = el("div", { class: "job-head" });
  const title = el("div", { class: "job-title" });
  title.append(el("span", { class: "job-name" }, job.title || job.kind));
  title.append(el("span", { class: `job-badge status-${job.status}` }, STATUS_TEXT[job.status] || job.status));
  const when = job.finished_utc || job.started_utc || job.created_utc;
  if (when) title.append(el("time", { class: "job-time", datetime: when, title: when }, clock(when)));
  head.append(title);
  const actions = el("div", { class: "job-actions" });
  if (!FINISHED.has(job.status)) {
    actions.append(el("span", { class: "job-percent" }, percent(job.progress)));
    const cancel = el("button", { type: "button", class: "button job-cancel", "aria-label": `Cancel ${job.title || "job"}` }, "Cancel");
    cancel.addEventListener("click", () => {
      cancel.disabled = true;
      onCancel(job, cancel);
    });
    actions.append(cancel);
  } else if (job.status === "completed" && job.download) {
    actions.append(el("a", { class: "button primary job-download", href: job.download, download: "" }, "Download zip"));
  }
  head.append(actions);
  card.append(head);
  if (!FINISHED.has(job.status)) card.append(progressBar(job.progress, `${job.title || "job"} progress`));
  if (job.out_dir && job.status !== "cancelled") {
    const where = el("div", { class: "job-folder" });
    where.append(el("span", { class: "subtle" }, job.status === "completed" ? "Folder" : "Into"));
    where.append(el("code", { title: job.out_dir }, job.out_dir));
    if (job.status === "completed") where.append(copyButton(job.out_dir));
    card.append(where);
  }
  if (job.error && !(job.tasks.length === 1 && job.tasks[0].error)) card.append(el("p", { class: "job-error" }, job.error));
  if (job.kind === "export" || job.tasks.length !== 1) {
    const tasks = el("ul", { class: "job-tasks" });
    for (const task of job.tasks) tasks.append(taskRow(task));
    card.append(tasks);
  } else {
    // One task that is the job itself: its text and notes only.
    const [task] = job.tasks;
    const line = job.status === "completed" && job.result ? summary(job.result) : job.status === "running" ? task.text : "";
    if (line) card.append(el("p", { class: "job-summary" }, line));
    if (task.error && !job.error) card.append(el("p", { class: "job-error" }, task.error));
    if (task.warnings && task.warnings.length) card.append(taskRow({ ...task, error: null }).querySelector(".job-notes"));
  }
  return card;
}

/** Show the jobs (see the API at the top of this file) in `element`; returns its controls. */
export function mountJobList(element, options = {}) {
  const filter = options.filter || (() => true);
  const shown = new Map();
  addStyles();
  const list = el("ul", { class: "job-list", "aria-live": "polite" });
  const empty = el("p", { class: "job-empty" }, options.empty || "No jobs yet.");
  const problem = el("p", { class: "job-error", role: "alert", hidden: "" });
  element.classList.add("jobs");
  element.replaceChildren(problem, empty, list);

  const ordered = () => [...shown.values()].sort((a, b) => (b.seq || 0) - (a.seq || 0)); // newest first

  async function onCancel(job, button) {
    try {
      problem.hidden = true;
      await cancelJob(job.id);
    } catch (error) {
      problem.textContent = error.message;
      problem.hidden = false;
      button.disabled = false;
    }
  }

  function render() {
    const jobs = ordered();
    // Keep focus on a Cancel button that survives the redraw (keyboard users).
    const focused = document.activeElement && element.contains(document.activeElement) ? document.activeElement.closest("[data-job]") : null;
    const focusId = focused ? focused.dataset.job : null;
    list.replaceChildren(...jobs.map((job) => jobCard(job, onCancel)));
    empty.hidden = jobs.length > 0;
    if (focusId) {
      const again = list.querySelector(`[data-job="${CSS.escape(focusId)}"] button, [data-job="${CSS.escape(focusId)}"] a`);
      if (again) again.focus();
    }
    if (options.onChange) options.onChange(jobs);
  }

  let pending = false;
  const stop = watchJobs((job) => {
    if (!filter(job)) return;
    shown.set(job.id, job);
    if (!pending) {
      pending = true; // one redraw per animation frame, however many events arrive
      window.requestAnimationFrame(() => {
        pending = false;
        render();
      });
    }
  });
  render();

  return {
    refresh: () => hub.poke(),
    jobs: () => ordered(),
    destroy: () => {
      stop();
      element.replaceChildren();
    },
  };
}
