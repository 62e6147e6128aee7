// The live page: refetch the page's main part on every server event, keep the sort.
(function () {
  "use strict";
  var sortState = null; // { table: index of the table, col: column index, dir: 1 | -1 }

  function cellValue(td) {
    var v = td.getAttribute("data-v");
    if (v === null) v = td.textContent.trim();
    var n = Number(v);
    return v !== "" && !isNaN(n) ? n : v.toLowerCase();
  }

  function sortTable(table, col, dir) {
    table.querySelectorAll("tbody.rows").forEach(function (body) {
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = cellValue(a.cells[col]), y = cellValue(b.cells[col]);
        if (x === y) return 0;
        if (typeof x === "number" && typeof y === "number") return (x - y) * dir;
        return String(x).localeCompare(String(y), "vi") * dir;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
    table.querySelectorAll("th[data-sort]").forEach(function (th) { th.classList.remove("asc", "desc"); });
    var th = table.querySelector('th[data-col="' + col + '"]');
    if (th) th.classList.add(dir > 0 ? "asc" : "desc");
  }

  function wire() {
    var tables = document.querySelectorAll("table.sortable");
    tables.forEach(function (table, ti) {
      table.querySelectorAll("th[data-sort]").forEach(function (th) {
        th.addEventListener("click", function () {
          var col = Number(th.getAttribute("data-col"));
          var dir = sortState && sortState.table === ti && sortState.col === col ? -sortState.dir : 1;
          sortState = { table: ti, col: col, dir: dir };
          sortTable(table, col, dir);
        });
      });
      if (sortState && sortState.table === ti) sortTable(table, sortState.col, sortState.dir);
    });
    document.querySelectorAll("time[datetime]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (!isNaN(d)) t.textContent = d.toLocaleString(document.documentElement.lang === "vi" ? "vi-VN" : "en-GB");
    });
  }

  var busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { cache: "no-store" })
      .then(function (r) { return r.text(); })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        var fresh = doc.getElementById("live"), old = document.getElementById("live");
        if (fresh && old) {
          old.replaceWith(document.importNode(fresh, true));
          wire();
        }
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  wire();
  // EventSource reconnects by itself after a dropped connection; when it gives
  // up (the server answered with an error while restarting), start again.
  function listen() {
    var es = new EventSource("/events");
    es.addEventListener("update", refresh);
    es.onopen = function () { document.body.classList.remove("offline"); refresh(); };
    es.onerror = function () {
      document.body.classList.add("offline");
      if (es.readyState === EventSource.CLOSED) setTimeout(listen, 1000);
    };
  }
  if (window.EventSource) listen();
})();
