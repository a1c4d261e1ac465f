// Placeholder of the player page: the recording's facts and its first scene frame.
import { api, el, formatDate, formatDuration, renderTopbar, showMessage } from "./layout.js";

async function main() {
  renderTopbar();
  const id = decodeURIComponent(window.location.pathname.split("/").pop());
  try {
    const rec = await api(`/api/recordings/${encodeURIComponent(id)}`);
    document.title = `${rec.name} · gazeport`;
    document.getElementById("title").textContent = rec.name;
    document.getElementById("rec-path").textContent = rec.path;
    const facts = document.getElementById("facts");
    const rows = [
      ["Kind", rec.kind_label],
      ["Duration", formatDuration(rec.duration_s)],
      ["Date", formatDate(rec.start_utc)],
      ["Wearer", rec.wearer || "–"],
      ["Frames", rec.frames ? `${rec.frames.count} (${rec.frames.width}×${rec.frames.height})` : "–"],
    ];
    for (const [k, v] of rows) facts.append(el("dt", {}, k), el("dd", {}, v));
    if (rec.frames && rec.frames.count > 0) {
      const img = document.getElementById("frame");
      const first = rec.frames.first_real ?? 0;
      img.alt = `Scene frame ${first}`;
      img.src = `/api/recordings/${encodeURIComponent(id)}/frames/${first}.jpg`;
      img.hidden = false;
    }
  } catch (error) {
    showMessage(error.message);
  }
}

main();
