// raidbot dashboard: refreshes the parts of a page marked data-live="URL" every
// data-every seconds (default 20) while the tab is visible. The page reads fine without it.
(function () {
  "use strict";
  document.querySelectorAll("[data-live]").forEach(function (el) {
    var url = el.getAttribute("data-live");
    var every = Math.max(5, parseInt(el.getAttribute("data-every") || "20", 10)) * 1000;
    var status = document.getElementById(el.id + "-status");
    function tick() {
      if (document.hidden) { return; }
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
        .then(function (html) {
          el.innerHTML = html;
          if (status) { status.textContent = "Updated " + new Date().toLocaleTimeString(); }
        })
        .catch(function () {
          if (status) { status.textContent = "Could not refresh; showing the last figures."; }
        });
    }
    setInterval(tick, every);
    document.addEventListener("visibilitychange", tick);
  });
})();
