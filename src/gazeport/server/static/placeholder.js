// Placeholder pages (labels, datasets) until their own modules replace them.
import { renderTopbar } from "./layout.js";

renderTopbar();
const titles = { labels: "Labels", datasets: "Datasets" };
const name = window.location.pathname.split("/")[1];
if (titles[name]) {
  document.getElementById("title").textContent = titles[name];
  document.title = `${titles[name]} · gazeport`;
}
