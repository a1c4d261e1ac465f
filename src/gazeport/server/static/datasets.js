// The dataset export page: the options of `gazeport dataset export` as a form (its defaults are
// the command's), Run → a job (POST /api/datasets/exports) shown with its progress in the job
// list, and a Download zip link once it has completed.
import { api, el, renderTopbar, showMessage } from "./layout.js";
import { mountJobList, startDatasetExport } from "./jobs.js";

renderTopbar();

const form = document.getElementById("dataset-form");
const run = document.getElementById("run");
const command = document.getElementById("command");

mountJobList(document.getElementById("jobs"), {
  filter: (job) => job.kind === "dataset",
  empty: "No dataset exports yet. Choose the options and press Run export.",
});

/** Say which label store the server exports and where to; without one, say how to get one. */
async function showStore() {
  try {
    const info = await api("/api/datasets/exports");
    if (info.problem) {
      showMessage(info.problem, "info");
      run.disabled = true;
      return;
    }
    const where = document.getElementById("where");
    where.replaceChildren("Label store ", el("code", {}, info.db), " · datasets go to ", el("code", {}, `${info.out_dir}/`));
    where.hidden = false;
  } catch (error) {
    showMessage(error.message, "error");
  }
}
showStore();

const text = (name) => form.elements[name].value.trim();
const checked = (name) => form.elements[name].checked;

function split() {
  const shares = ["train", "val", "test"].map((name) => [name, Number(form.elements[name].value || 0)]);
  if (shares.every(([name, v]) => (name === "train" ? v > 0 : v === 0))) return null; // the default
  return shares.filter(([name, v]) => v > 0 || name === "train").map(([name, v]) => `${name}=${v}`).join(",");
}

/** The request body: only what differs from the CLI's defaults (so an empty form sends {}). */
function body() {
  const out = {};
  const format = form.elements.format.value;
  if (format !== "coco") out.format = format;
  if (!checked("images")) out.no_images = true;
  if (text("image_format") !== "jpg") out.image_format = text("image_format");
  if (checked("absolute_paths")) out.absolute_paths = true;
  if (format === "csv" && text("coords") !== "absolute") out.coords = text("coords");
  if (checked("incremental")) out.incremental = true;
  const map = text("category_map");
  if (map) {
    try {
      out.category_map = JSON.parse(map);
    } catch {
      throw new Error('The category map is not valid JSON; write it like {"sedan": "car", "truck": null}.');
    }
  }
  const statuses = [...form.querySelectorAll('input[name="status"]:checked')].map((box) => box.value);
  if (statuses.length) out.status = statuses;
  for (const name of ["label", "recording", "from", "to", "min_size", "frame_range", "min_image_size"]) {
    if (text(name)) out[name] = text(name);
  }
  if (text("min_confidence")) out.min_confidence = Number(text("min_confidence"));
  if (checked("gaze_hit_only")) out.gaze_hit_only = true;
  const ratios = split();
  if (ratios) out.split = ratios;
  const seed = Number(text("seed") || 0);
  if (seed !== 0) out.seed = seed;
  if (checked("stratify")) out.stratify = true;
  if (text("group_by") !== "recording") out.group_by = text("group_by");
  return out;
}

const FLAGS = { from: "--from", to: "--to" };

function commandLine(options) {
  const parts = ["gazeport dataset export --db DB", `--format ${options.format || "coco"}`, "--out DIR"];
  for (const [key, value] of Object.entries(options)) {
    if (key === "format") continue;
    const flag = FLAGS[key] || `--${key.replaceAll("_", "-")}`;
    if (value === true) parts.push(flag);
    else if (key === "category_map") parts.push(`${flag} MAP.json`);
    else parts.push(`${flag} ${Array.isArray(value) ? value.join(",") : value}`);
  }
  return parts.join(" ");
}

function update() {
  form.elements.coords.disabled = form.elements.format.value !== "csv";
  form.elements.image_format.disabled = !checked("images");
  try {
    command.textContent = commandLine(body());
    command.title = command.textContent;
  } catch {
    command.textContent = "";
  }
}

form.addEventListener("input", update);
form.addEventListener("change", update);
update();

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  showMessage("");
  run.disabled = true;
  try {
    await startDatasetExport(body());
  } catch (error) {
    showMessage(error.message, "error");
  } finally {
    run.disabled = false;
  }
});
