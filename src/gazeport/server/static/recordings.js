// The recordings page: the table of every recording below the served folder, with search and
// sortable columns. Sorting and filtering happen here on the list the server sent once.
import { api, el, formatDate, formatDuration, renderTopbar, showMessage } from "./layout.js";

const state = { recordings: [], sort: "start", order: "desc", query: "" };

const SORT_VALUE = {
  name: (r) => r.name.toLowerCase(),
  kind: (r) => r.kind_label,
  duration: (r) => r.duration_s,
  start: (r) => r.start_utc,
  wearer: (r) => (r.wearer || "").toLowerCase() || null,
  exports: (r) => r.exports,
};

function matches(r, words) {
  const text = [r.name, r.path, r.kind_label, r.wearer || "", formatDate(r.start_utc)]
    .join(" ")
    .toLowerCase();
  return words.every((w) => text.includes(w));
}

function sorted(rows) {
  const value = SORT_VALUE[state.sort];
  const sign = state.order === "asc" ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    if (x === y) return a.path.localeCompare(b.path);
    if (x === null || x === undefined) return 1; // missing values last, either order
    if (y === null || y === undefined) return -1;
    return (x < y ? -1 : 1) * sign;
  });
}

function row(r) {
  const tr = el("tr", { "data-id": r.id });
  const stack = el("div", { class: "cell-stack" });
  if (r.error) {
    stack.append(el("span", { class: "rec-name" }, r.name));
    tr.classList.add("unreadable");
  } else {
    stack.append(el("a", { class: "rec-name", href: `/player/${r.id}` }, r.name));
  }
  if (r.path !== r.name) stack.append(el("span", { class: "rec-path" }, r.path));
  if (r.error) stack.append(el("span", { class: "rec-error" }, r.error));
  const name = el("td", { class: "name" }, stack);
  const kind = el("td", {}, el("span", { class: `badge kind-${r.kind}` }, r.kind_label));
  const exportsCell = el("td", { class: "num" });
  exportsCell.append(
    r.exports ? el("span", { class: "badge exports" }, String(r.exports)) : el("span", { class: "subtle" }, "–"),
  );
  tr.append(
    name,
    kind,
    el("td", { class: "num" }, formatDuration(r.duration_s)),
    el("td", { class: "nowrap" }, formatDate(r.start_utc)),
    el("td", {}, r.wearer || "–"),
    exportsCell,
  );
  return tr;
}

function render() {
  const words = state.query.toLowerCase().split(/\s+/).filter(Boolean);
  const rows = sorted(state.recordings.filter((r) => matches(r, words)));
  const body = document.querySelector("#recordings tbody");
  body.replaceChildren(...rows.map(row));
  for (const th of document.querySelectorAll("#recordings th[data-sort]")) {
    const active = th.dataset.sort === state.sort;
    th.setAttribute("aria-sort", active ? (state.order === "asc" ? "ascending" : "descending") : "none");
  }
  const empty = document.getElementById("empty");
  empty.hidden = rows.length > 0;
  empty.textContent = state.recordings.length
    ? `No recording matches “${state.query}”.`
    : "No recordings were found below this folder.";
  const total = state.recordings.length;
  document.getElementById("count").textContent =
    rows.length === total ? `${total} recording${total === 1 ? "" : "s"}` : `${rows.length} of ${total} recordings`;
}

async function load(refresh = false) {
  try {
    const data = await api(`/api/recordings${refresh ? "?refresh=true" : ""}`);
    state.recordings = data.recordings;
    document.getElementById("root-path").textContent = data.root;
    showMessage("");
  } catch (error) {
    showMessage(error.message);
  }
  render();
}

function setup() {
  renderTopbar();
  const search = document.getElementById("search");
  search.addEventListener("input", () => {
    state.query = search.value;
    render();
  });
  for (const th of document.querySelectorAll("#recordings th[data-sort]")) {
    th.tabIndex = 0;
    const choose = () => {
      const key = th.dataset.sort;
      state.order = state.sort === key && state.order === "asc" ? "desc" : "asc";
      state.sort = key;
      render();
    };
    th.addEventListener("click", choose);
    th.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        choose();
      }
    });
  }
  document.getElementById("refresh").addEventListener("click", () => load(true));
  document.addEventListener("keydown", (event) => {
    if (event.key === "/" && document.activeElement !== search) {
      event.preventDefault();
      search.focus();
    }
  });
  load();
}

setup();
