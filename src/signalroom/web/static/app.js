// Progressive enhancement: every page works without this file; with it, charts are drawn and
// marked forms and drag-and-drop board cards update without a full page load.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

  // <canvas data-chart='{"type": "line", "data": {...}, "options": {...}}'>
  function drawCharts() {
    if (typeof Chart === "undefined") return;
    const styles = getComputedStyle(document.documentElement);
    Chart.defaults.color = styles.getPropertyValue("--muted").trim() || "#555";
    Chart.defaults.font.family = styles.getPropertyValue("--font").trim() || "system-ui";
    Chart.defaults.animation = false;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      try {
        const config = JSON.parse(canvas.dataset.chart);
        config.options = Object.assign({ responsive: true, maintainAspectRatio: false }, config.options || {});
        new Chart(canvas, config);
        canvas.dataset.drawn = "true";
      } catch (err) {
        canvas.insertAdjacentText("afterend", "chart could not be drawn: " + err.message);
      }
    });
  }

  // Board cards: drag a card to another column to move the action (the form on each card still
  // works without JavaScript).
  function enhanceBoard() {
    document.querySelectorAll("[data-board-column]").forEach(function (column) {
      column.addEventListener("dragover", function (event) { event.preventDefault(); column.classList.add("drop"); });
      column.addEventListener("dragleave", function () { column.classList.remove("drop"); });
      column.addEventListener("drop", async function (event) {
        event.preventDefault();
        column.classList.remove("drop");
        const id = event.dataTransfer.getData("text/plain");
        const status = column.dataset.boardColumn;
        const response = await fetch("/api/v1/actions/" + id, {
          method: "PATCH",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
          body: JSON.stringify({ status: status }),
        });
        if (response.ok) { window.location.reload(); return; }
        const body = await response.json().catch(function () { return {}; });
        alert((body.error && body.error.message) || "the action could not be moved");
      });
    });
    document.querySelectorAll("[data-action-card]").forEach(function (card) {
      card.setAttribute("draggable", "true");
      card.addEventListener("dragstart", function (event) {
        event.dataTransfer.setData("text/plain", card.dataset.actionCard);
      });
    });
  }

  // Evidence: clicking an answer's evidence scrolls to and highlights the turn it quotes.
  function enhanceEvidence() {
    document.querySelectorAll("a[data-turn]").forEach(function (link) {
      link.addEventListener("click", function () {
        document.querySelectorAll(".turn.highlight").forEach(function (t) { t.classList.remove("highlight"); });
        const turn = document.getElementById("turn-" + link.dataset.turn);
        if (turn) turn.classList.add("highlight");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    enhanceBoard();
    enhanceEvidence();
  });
})();
