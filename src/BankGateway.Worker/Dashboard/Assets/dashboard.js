// Live updates for the dashboard. The pages work without this script: it only refreshes the
// progress bars, states and counters by polling the small summary endpoint every few seconds.
(function () {
  "use strict";
  var body = document.body;
  var seconds = parseInt(body.getAttribute("data-poll-seconds") || "3", 10);
  if (!(seconds > 0)) seconds = 3;
  var status = document.getElementById("live-status");

  function ids() {
    var seen = {};
    var list = [];
    document.querySelectorAll("[data-voucher]").forEach(function (el) {
      var id = el.getAttribute("data-voucher");
      if (!seen[id]) { seen[id] = true; list.push(id); }
    });
    return list;
  }

  function set(id, field, text) {
    document.querySelectorAll('[data-voucher="' + id + '"][data-field="' + field + '"]').forEach(function (el) {
      if (el.textContent !== text) el.textContent = text;
    });
  }

  function apply(summary) {
    Object.keys(summary.counts || {}).forEach(function (key) {
      document.querySelectorAll('[data-count="' + key + '"]').forEach(function (el) { el.textContent = String(summary.counts[key]); });
    });
    document.querySelectorAll('[data-summary="at"]').forEach(function (el) { el.textContent = summary.at; });
    (summary.vouchers || []).forEach(function (v) {
      document.querySelectorAll('progress[data-voucher="' + v.id + '"]').forEach(function (bar) {
        bar.max = Math.max(v.chunkCount, 1);
        bar.value = v.chunksDone;
        bar.textContent = v.chunksDone + " / " + v.chunkCount;
      });
      set(v.id, "chunks", v.chunksDone + " / " + v.chunkCount + " 批");
      set(v.id, "paidCount", v.paidCount.toLocaleString("en-US"));
      set(v.id, "failedCount", v.failedCount.toLocaleString("en-US"));
      set(v.id, "paid", v.paid);
      set(v.id, "failed", v.failed);
      document.querySelectorAll('[data-voucher="' + v.id + '"][data-field="status"]').forEach(function (el) {
        if (el.textContent !== v.statusLabel) {
          el.textContent = v.statusLabel;
          el.className = el.className.replace(/state-[A-Z]+/, "state-" + v.status);
        }
      });
    });
    if (status) status.textContent = "实时更新 " + summary.at;
  }

  function poll() {
    var list = ids();
    var hasCounts = document.querySelector("[data-count]") !== null;
    if (list.length === 0 && !hasCounts) return;
    fetch("/dashboard/summary.json?ids=" + encodeURIComponent(list.join(",")), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.status === 401) { if (status) status.textContent = "登录已过期，请刷新页面"; throw new Error("signed out"); }
        return r.json();
      })
      .then(apply)
      .catch(function () { /* next poll tries again */ })
      .then(function () { setTimeout(poll, seconds * 1000); });
  }

  setTimeout(poll, seconds * 1000);

  // 对账单打印: the print view's button prints with the print stylesheet (the print itself was audited by its POST).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
