// claimflow console: live updates without a reload. Plain JS, no dependencies.
//
// The page listens to the API's /stream (server-sent events). When something changes, it
// fetches its own URL again and swaps every region marked data-live for the fresh one (a
// region holding a form the person is filling in is left alone). Charts are plotly figures
// in data-figure attributes, drawn here and redrawn after a swap.
(function () {
  "use strict";

  function drawCharts(root) {
    if (!window.Plotly) return;
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      try {
        var fig = JSON.parse(el.getAttribute("data-figure"));
        window.Plotly.react(el, fig.data, fig.layout, { displayModeBar: false, responsive: true });
      } catch (e) { console.warn("chart", e); }
    });
  }

  function busy(region) {
    if (!region.hasAttribute("data-keep-busy")) return false;
    var active = document.activeElement;
    if (active && region.contains(active) && /INPUT|TEXTAREA|SELECT/.test(active.tagName)) return true;
    var typed = false;
    region.querySelectorAll("input, textarea").forEach(function (f) {
      if (f.type === "file" ? f.files.length : (f.type !== "hidden" && f.value !== f.defaultValue)) typed = true;
    });
    return typed;
  }

  var pending = null, running = false, again = false;

  function refresh() {
    if (running) { again = true; return; }
    running = true;
    fetch(window.location.href, { headers: { "X-Live": "1" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (region) {
          var next = region.id && fresh.getElementById(region.id);
          if (!next || busy(region) || next.innerHTML === region.innerHTML) return;
          region.innerHTML = next.innerHTML;
          region.classList.remove("updated"); void region.offsetWidth; region.classList.add("updated");
          drawCharts(region);
        });
        document.body.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function (e) { console.warn("refresh", e); })
      .finally(function () { running = false; if (again) { again = false; schedule(); } });
  }

  function schedule() {
    if (pending) clearTimeout(pending);
    pending = setTimeout(function () { pending = null; refresh(); }, 250);
  }

  function connect() {
    var url = document.body.getAttribute("data-stream");
    var indicator = document.getElementById("live-indicator");
    if (!url || !window.EventSource) return;
    var source = new EventSource(url);
    source.addEventListener("hello", function () {
      // (Re)connected: catch up on anything that changed since the page was rendered.
      schedule();
      if (indicator) { indicator.textContent = "live"; indicator.classList.add("on"); }
      document.body.setAttribute("data-live-ready", "1");
    });
    ["claim", "alert", "reload"].forEach(function (name) {
      source.addEventListener(name, schedule);
    });
    source.onerror = function () {
      if (indicator) { indicator.textContent = "reconnecting"; indicator.classList.remove("on"); }
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
    connect();
  });
})();
