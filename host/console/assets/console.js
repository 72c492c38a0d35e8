// The console's own script: htmx's errors go to the page's problem area
// (htmx does not swap 4xx/5xx answers by itself), and charts are drawn
// from the JSON a page embeds in <script type="application/json">.
document.addEventListener("htmx:responseError", (event) => {
  const area = document.getElementById("problem");
  if (!area) return;
  const doc = new DOMParser().parseFromString(event.detail.xhr.responseText, "text/html");
  const problem = doc.querySelector(".problem");
  area.textContent = problem ? problem.textContent.trim().replace(/\s+/g, " ") : event.detail.xhr.statusText;
  area.focus();
});
document.addEventListener("htmx:beforeRequest", () => {
  const area = document.getElementById("problem");
  if (area) area.textContent = "";
});

// Draw every <canvas data-chart="id"> from the JSON in <script id="id">.
function drawCharts(root) {
  if (typeof Chart === "undefined") return;
  root.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    const old = Chart.getChart(canvas);
    if (old) old.destroy();
    new Chart(canvas, spec);
  });
}
document.addEventListener("DOMContentLoaded", () => drawCharts(document));
document.addEventListener("htmx:afterSettle", (event) => drawCharts(event.target));
