// The shared page frame: the top bar with the app name and the navigation, and small helpers
// every page uses (fetching JSON with readable errors, formatting). Pages import what they need.

const NAV = [
  { href: "/", label: "Recordings", match: (p) => p === "/" || p.startsWith("/player/") },
  { href: "/labels", label: "Labels", match: (p) => p.startsWith("/labels") },
  { href: "/datasets", label: "Datasets", match: (p) => p.startsWith("/datasets") },
  { href: "/docs", label: "API", match: (p) => p.startsWith("/docs") },
];

/** Fill <header id="topbar"> with the brand and the navigation, marking the current page. */
export function renderTopbar() {
  const bar = document.getElementById("topbar");
  if (!bar) return;
  const path = window.location.pathname;
  bar.replaceChildren();
  const brand = el("a", { class: "brand", href: "/" });
  const logo = el("img", { src: "/static/favicon.svg", alt: "", width: "24", height: "24" });
  brand.append(logo, el("span", {}, "gazeport"));
  const nav = el("nav", { "aria-label": "Main" });
  for (const item of NAV) {
    const link = el("a", { href: item.href }, item.label);
    if (item.match(path)) link.setAttribute("aria-current", "page");
    nav.append(link);
  }
  bar.append(brand, nav);
}

/** document.createElement with attributes and text or child nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** GET/POST JSON; a failure throws an Error whose message is the server's one sentence. */
export async function api(path, options = {}) {
  const init = { ...options, headers: { Accept: "application/json", ...(options.headers || {}) } };
  if (init.body !== undefined && typeof init.body !== "string") {
    init.body = JSON.stringify(init.body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new Error("The gazeport server cannot be reached; is `gazeport serve` still running?");
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    throw new Error((data && data.error) || `The server answered ${response.status}.`);
  }
  return data;
}

/** Show a message in the page's <div id="message"> (kind: "error" or "info"); "" hides it. */
export function showMessage(text, kind = "error") {
  const box = document.getElementById("message");
  if (!box) return;
  box.textContent = text;
  box.className = `message ${kind}`;
  box.hidden = !text;
}

/** 83.2 → "1:23"; 3725 → "1:02:05"; null → "–". */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** ISO UTC → "2024-01-25 14:03" in the browser's time zone; null → "–". */
export function formatDate(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "–";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
