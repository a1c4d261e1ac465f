// The API reference page: every operation of /openapi.json grouped by tag (no Swagger UI,
// which would load from a CDN).
import { api, el, renderTopbar, showMessage } from "./layout.js";

async function main() {
  renderTopbar();
  try {
    const spec = await api("/openapi.json");
    const groups = new Map();
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const tag = (op.tags && op.tags[0]) || "other";
        if (!groups.has(tag)) groups.set(tag, []);
        groups.get(tag).push({ method, path, summary: op.summary || "" });
      }
    }
    const root = document.getElementById("endpoints");
    for (const [tag, ops] of groups) {
      const card = el("div", { class: "card" });
      for (const op of ops) {
        card.append(
          el("div", { class: "endpoint" },
            el("span", { class: `method ${op.method}` }, op.method.toUpperCase()),
            el("code", {}, op.path),
            el("span", { class: "summary" }, op.summary)),
        );
      }
      root.append(el("h2", { class: "group" }, tag), card);
    }
  } catch (error) {
    showMessage(error.message);
  }
}

main();
