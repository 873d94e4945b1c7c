"use strict";
(function () {
  var table = document.getElementById("candidate-table");
  if (!table) { return; }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tr.cand"));
  var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
  var groups = Array.prototype.slice.call(table.querySelectorAll("tbody.village"));
  var shown = document.getElementById("shown-count");
  var fields = ["verdict", "township", "village", "rule"].map(function (k) { return [k, document.getElementById("f-" + k)]; });
  var search = document.getElementById("f-search");

  function detailOf(row) { return document.getElementById("d-" + row.getAttribute("data-id")); }

  function apply() {
    var wanted = fields.map(function (f) { return [f[0], f[1].value]; });
    var needle = search.value.trim().toLowerCase();
    var count = 0;
    rows.forEach(function (row, i) {
      var ok = wanted.every(function (w) {
        if (!w[1]) { return true; }
        if (w[0] === "rule") { return (" " + row.getAttribute("data-rules") + " ").indexOf(" " + w[1] + " ") >= 0; }
        return row.getAttribute("data-" + w[0]) === w[1];
      }) && (!needle || texts[i].indexOf(needle) >= 0);
      row.hidden = !ok;
      detailOf(row).hidden = !ok;
      if (ok) { count += 1; }
    });
    groups.forEach(function (g) { g.hidden = !g.querySelector("tr.cand:not([hidden])"); });
    shown.textContent = String(count);
  }

  function toggle(row) {
    var detail = detailOf(row);
    var open = !detail.classList.contains("open");
    detail.classList.toggle("open", open);
    row.setAttribute("aria-expanded", open ? "true" : "false");
  }

  fields.forEach(function (f) { f[1].addEventListener("change", apply); });
  search.addEventListener("input", apply);
  document.getElementById("f-reset").addEventListener("click", function () {
    fields.forEach(function (f) { f[1].value = ""; });
    search.value = "";
    apply();
  });
  table.addEventListener("click", function (event) {
    var row = event.target.closest("tr.cand");
    if (row) { toggle(row); }
  });
  table.addEventListener("keydown", function (event) {
    var row = event.target.closest("tr.cand");
    if (row && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); toggle(row); }
  });
  document.getElementById("opt-page").addEventListener("change", function (event) {
    document.body.classList.toggle("page-per-village", event.target.checked);
  });
  document.getElementById("opt-print").addEventListener("click", function () { window.print(); });
  apply();
}());
