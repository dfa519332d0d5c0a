/* smscan HTML report: filters, sorting, pagination and row details for the findings table.
   Data comes only from the JSON block and reaches the page only as text nodes
   (textContent / createTextNode), never as markup. Runs offline; loads nothing. */
(function () {
  "use strict";
  var root = document.documentElement;
  var problems = [];
  function noteProblem(text) {
    problems.push(String(text));
    root.setAttribute("data-js-errors", problems.join(" | "));
  }
  window.addEventListener("error", function (e) { noteProblem(e.message || "script error"); });
  window.addEventListener("unhandledrejection", function (e) { noteProblem(e.reason || "rejection"); });

  var data = JSON.parse(document.getElementById("findings-data").textContent);
  var C = {};
  data.columns.forEach(function (name, i) { C[name] = i; });
  var SEV_RANK = {};
  data.severities.forEach(function (s, i) { SEV_RANK[s] = i; });
  var STATUS_RANK = { FAIL: 0, ERROR: 1, UNKNOWN: 2, WAIVED: 3, NOT_APPLICABLE: 4, PASS: 5 };
  var FILTERS = ["severity", "status", "policy", "account", "region", "baseline"];
  var rows = data.rows.map(function (r, i) {
    var p = data.policies[r[C.policy]];
    return {
      i: i, p: p, policy: p.id, severity: r[C.severity], status: r[C.status], name: r[C.name],
      arn: r[C.arn], account: r[C.account], region: r[C.region], message: r[C.message],
      origin: r[C.origin], evidence: r[C.evidence], waiver: r[C.waiver], baseline: r[C.baseline] || "",
      location: r[C.location], text: null
    };
  });

  var $ = function (id) { return document.getElementById(id); };
  var tbody = $("findings-body");
  var statusLine = $("findings-status");
  var pageInfo = $("page-info");
  var search = $("f-q");
  var sizeSelect = $("f-size");
  var columns = Array.prototype.map.call(document.querySelectorAll("#findings-table thead th"),
    function (th) { return th.getAttribute("data-sort"); });
  var selects = {};
  FILTERS.forEach(function (f) { var el = $("f-" + f); if (el) { selects[f] = el; } });

  var state = { q: "", sort: "", dir: "asc", page: 0, size: 100 };
  var open = Object.create(null);
  var view = rows;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); }); }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function show(v) { return typeof v === "string" ? v : JSON.stringify(v); }
  function haystack(r) {
    if (r.text === null) {
      r.text = [r.name, r.arn, r.policy, r.p.title, r.message, r.account, r.region, r.origin,
        r.status, r.severity, r.location || "", JSON.stringify(r.evidence),
        r.waiver ? JSON.stringify(r.waiver) : ""].join("\n").toLowerCase();
    }
    return r.text;
  }

  function compute() {
    var q = state.q.trim().toLowerCase();
    var terms = q ? q.split(/\s+/) : [];
    var active = FILTERS.filter(function (f) { return selects[f] && selects[f].value; });
    view = rows.filter(function (r) {
      for (var i = 0; i < active.length; i++) {
        if (r[active[i]] !== selects[active[i]].value) { return false; }
      }
      for (var j = 0; j < terms.length; j++) {
        if (haystack(r).indexOf(terms[j]) < 0) { return false; }
      }
      return true;
    });
    if (state.sort) {
      var key = state.sort, sign = state.dir === "desc" ? -1 : 1;
      view.sort(function (a, b) {
        var x = a[key], y = b[key];
        if (key === "severity") { x = SEV_RANK[x]; y = SEV_RANK[y]; }
        if (key === "status") { x = STATUS_RANK[x]; y = STATUS_RANK[y]; }
        if (x < y) { return -sign; }
        if (x > y) { return sign; }
        return a.i - b.i;
      });
    }
  }

  function detailRow(r, id) {
    var tr = el("tr", { "class": "detail", id: id });
    var td = el("td", { colspan: String(columns.length) });
    var grid = el("div", { "class": "detail-grid" });
    var left = el("div"), right = el("div");
    left.appendChild(el("h4", null, "Resource"));
    var dl = el("dl");
    [["ARN", r.arn], ["Job", r.name], ["Source", r.origin], ["Location", r.location],
      ["Message", r.message]].forEach(function (pair) {
      if (pair[1]) { dl.appendChild(el("dt", null, pair[0])); dl.appendChild(el("dd", null, pair[1])); }
    });
    left.appendChild(dl);
    if (r.waiver) {
      left.appendChild(el("h4", null, "Waiver"));
      var wl = el("dl");
      ["reason", "owner", "expires", "source"].forEach(function (k) {
        if (r.waiver[k]) { wl.appendChild(el("dt", null, k)); wl.appendChild(el("dd", null, r.waiver[k])); }
      });
      left.appendChild(wl);
    }
    left.appendChild(el("h4", null, "Evidence (secrets masked)"));
    if (r.evidence.length) {
      var table = el("table", { "class": "evidence compact" });
      var head = el("tr");
      ["Path", "Operator", "Expected", "Actual", "Held"].forEach(function (h) {
        head.appendChild(el("th", { scope: "col" }, h));
      });
      table.appendChild(el("thead")).appendChild(head);
      var body = table.appendChild(el("tbody"));
      r.evidence.forEach(function (e) {
        var row = el("tr");
        row.appendChild(el("td")).appendChild(el("code", null, e[0]));
        row.appendChild(el("td", null, e[1]));
        row.appendChild(el("td")).appendChild(el("code", null, show(e[2])));
        var actual = e[3].length ? e[3].map(show).join(", ") : "(missing)";
        var cell = row.appendChild(el("td"));
        cell.appendChild(el("code", null, actual));
        if (e[5]) { cell.appendChild(el("div", { "class": "muted small" }, e[5])); }
        row.appendChild(el("td", { "class": e[4] ? "ok" : "bad" }, e[4] ? "yes" : "no"));
        body.appendChild(row);
      });
      left.appendChild(table);
    } else {
      left.appendChild(el("p", { "class": "muted" }, "No evidence recorded."));
    }
    var p = r.p;
    right.appendChild(el("h4", null, "Policy"));
    right.appendChild(el("p", null, p.title + " (" + p.id + ")"));
    if (p.remediation.length) {
      right.appendChild(el("h4", null, "Remediation"));
      p.remediation.forEach(function (entry) {  // [key, label, text]
        if (entry[0] === "summary") { right.appendChild(el("p", null, entry[2])); return; }
        var channel = right.appendChild(el("details", { "class": "channel" }));
        channel.appendChild(el("summary", null, entry[1]));
        channel.appendChild(el("pre", null, entry[2]));
      });
    }
    if (p.references.length) {
      right.appendChild(el("h4", null, "References"));
      var ul = el("ul", { "class": "refs" });
      p.references.forEach(function (ref) {
        var li = ul.appendChild(el("li"));
        // only http(s) became links at render time; anything else stays text
        li.appendChild(ref[1] ? el("a", { href: ref[0], rel: "noopener noreferrer" }, ref[0]) : el("span", { "class": "bad-url" }, ref[0]));
      });
      right.appendChild(ul);
    }
    if (p.frameworks.length) {
      right.appendChild(el("h4", null, "Framework controls"));
      var fl = el("ul", { "class": "frameworks" });
      p.frameworks.forEach(function (fw) { fl.appendChild(el("li", null, fw[0] + ": " + fw[1].join(", "))); });
      right.appendChild(fl);
    }
    grid.appendChild(left); grid.appendChild(right);
    td.appendChild(grid); tr.appendChild(td);
    return tr;
  }

  function findingRow(r) {
    var tr = el("tr", { "class": "finding" + (open[r.i] ? " open" : ""), "data-row": String(r.i) });
    var id = "detail-" + r.i;
    var td0 = tr.appendChild(el("td"));
    var btn = el("button", {
      type: "button", "class": "toggle", "aria-expanded": open[r.i] ? "true" : "false",
      "aria-controls": id, "data-row": String(r.i)
    }, open[r.i] ? "\u25BE" : "\u25B8");
    btn.setAttribute("aria-label", "Details for " + (r.name || r.arn) + ", " + r.policy);
    td0.appendChild(btn);
    columns.slice(1).forEach(function (col) {
      var td = tr.appendChild(el("td"));
      if (col === "severity") { td.appendChild(el("span", { "class": "badge sev-" + r.severity }, r.severity)); }
      else if (col === "status") { td.appendChild(el("span", { "class": "badge st-" + r.status }, r.status.replace("_", " "))); }
      else if (col === "policy") { td.className = "policy"; td.appendChild(el("code", { title: r.p.title }, r.policy)); }
      else if (col === "name") { td.className = "job"; td.textContent = r.name || r.arn || r.origin; td.title = r.arn; }
      else if (col === "message") { td.className = "msg"; td.textContent = r.message; }
      else { td.className = col; td.textContent = r[col]; }
    });
    return tr;
  }

  function draw() {
    var pages = Math.max(1, Math.ceil(view.length / state.size));
    state.page = Math.min(Math.max(0, state.page), pages - 1);
    var start = state.page * state.size;
    var slice = view.slice(start, start + state.size);
    var frag = document.createDocumentFragment();
    slice.forEach(function (r) {
      frag.appendChild(findingRow(r));
      if (open[r.i]) { frag.appendChild(detailRow(r, "detail-" + r.i)); }
    });
    tbody.textContent = "";
    tbody.appendChild(frag);
    var total = rows.length;
    statusLine.textContent = view.length
      ? "Showing " + (start + 1) + "\u2013" + (start + slice.length) + " of " + view.length + " findings" +
        (view.length < total ? " (filtered from " + total + ")" : "")
      : (total ? "No findings match these filters (" + total + " in total)." : "No findings: every evaluated check passed.");
    pageInfo.textContent = "Page " + (state.page + 1) + " of " + pages;
    document.querySelectorAll("#pager [data-page]").forEach(function (b) {
      var k = b.getAttribute("data-page");
      b.disabled = (k === "first" || k === "prev") ? state.page === 0 : state.page >= pages - 1;
    });
    document.querySelectorAll("#findings-table thead th[data-sort]").forEach(function (th) {
      var k = th.getAttribute("data-sort");
      if (k === state.sort) { th.setAttribute("aria-sort", state.dir === "desc" ? "descending" : "ascending"); }
      else { th.removeAttribute("aria-sort"); }
    });
    root.setAttribute("data-visible-rows", String(slice.length));
    root.setAttribute("data-matching-rows", String(view.length));
  }

  function writeHash() {
    var parts = [];
    if (state.q) { parts.push("q=" + encodeURIComponent(state.q)); }
    FILTERS.forEach(function (f) { if (selects[f] && selects[f].value) { parts.push(f + "=" + encodeURIComponent(selects[f].value)); } });
    if (state.sort) { parts.push("sort=" + state.sort, "dir=" + state.dir); }
    if (state.page) { parts.push("page=" + (state.page + 1)); }
    if (state.size !== 100) { parts.push("size=" + state.size); }
    var hash = parts.length ? "#" + parts.join("&") : "";
    if (hash !== location.hash && (hash || location.hash.indexOf("=") >= 0)) {
      try { history.replaceState(null, "", hash || location.pathname + location.search); } catch (e) { /* some file:// contexts refuse; the view still works */ }
    }
  }

  function update(keepPage) {
    if (!keepPage) { state.page = 0; }
    compute(); draw(); writeHash();
  }

  function setSelect(sel, value) {
    var ok = Array.prototype.some.call(sel.options, function (o) { return o.value === value; });
    sel.value = ok ? value : "";
  }

  function readHash() {
    var h = location.hash.slice(1);
    if (h.indexOf("=") < 0) { return false; } // a plain section anchor, not a filter link
    var params = {};
    h.split("&").forEach(function (kv) {
      var at = kv.indexOf("=");
      if (at > 0) {
        try { params[kv.slice(0, at)] = decodeURIComponent(kv.slice(at + 1).replace(/\+/g, " ")); } catch (e) { /* malformed escape: ignore that part */ }
      }
    });
    state.q = params.q || "";
    search.value = state.q;
    FILTERS.forEach(function (f) { if (selects[f]) { setSelect(selects[f], params[f] || ""); } });
    state.sort = columns.indexOf(params.sort) > 0 ? params.sort : "";
    state.dir = params.dir === "desc" ? "desc" : "asc";
    var size = parseInt(params.size, 10);
    state.size = [50, 100, 250, 500].indexOf(size) >= 0 ? size : 100;
    sizeSelect.value = String(state.size);
    state.page = Math.max(0, (parseInt(params.page, 10) || 1) - 1);
    compute(); draw();
    return true;
  }

  var timer = null;
  search.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = search.value; update(false); }, 120);
  });
  Object.keys(selects).forEach(function (f) { selects[f].addEventListener("change", function () { update(false); }); });
  $("filters").addEventListener("submit", function (e) { e.preventDefault(); state.q = search.value; update(false); });
  $("filters").addEventListener("reset", function () {
    setTimeout(function () { state.q = ""; state.sort = ""; update(false); }, 0);
  });
  sizeSelect.addEventListener("change", function () { state.size = parseInt(sizeSelect.value, 10) || 100; update(false); });
  document.querySelectorAll("#findings-table thead th[data-sort] button").forEach(function (b) {
    b.addEventListener("click", function () {
      var k = b.parentNode.getAttribute("data-sort");
      if (state.sort === k) { state.dir = state.dir === "asc" ? "desc" : "asc"; } else { state.sort = k; state.dir = "asc"; }
      update(false);
    });
  });
  $("pager").addEventListener("click", function (e) {
    var k = e.target.getAttribute && e.target.getAttribute("data-page");
    if (!k) { return; }
    var pages = Math.max(1, Math.ceil(view.length / state.size));
    state.page = { first: 0, prev: state.page - 1, next: state.page + 1, last: pages - 1 }[k];
    draw(); writeHash();
    $("findings").scrollIntoView();
  });
  tbody.addEventListener("click", function (e) {
    var btn = e.target.closest ? e.target.closest("button.toggle") : null;
    if (!btn) { return; }
    var i = btn.getAttribute("data-row");
    open[i] = !open[i];
    draw();
    var again = tbody.querySelector('button.toggle[data-row="' + Number(i) + '"]');
    if (again) { again.focus(); }
  });
  $("expand-page").addEventListener("click", function () {
    var start = state.page * state.size;
    var slice = view.slice(start, start + state.size);
    var all = slice.every(function (r) { return open[r.i]; });
    slice.forEach(function (r) { open[r.i] = !all; });
    draw();
  });
  document.addEventListener("keydown", function (e) {
    var t = e.target.tagName;
    if (e.key === "/" && t !== "INPUT" && t !== "SELECT" && t !== "TEXTAREA") { e.preventDefault(); search.focus(); }
  });
  function openTarget() {  // a link to a policy opens its collapsed description
    var target = location.hash.length > 1 ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    if (target && target.tagName === "DETAILS") { target.open = true; target.scrollIntoView(); }
  }
  window.addEventListener("hashchange", function () {
    if (readHash()) { $("findings").scrollIntoView(); } else { openTarget(); }
  });
  var printOpened = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) { d.open = true; printOpened.push(d); });
  });
  window.addEventListener("afterprint", function () {
    printOpened.forEach(function (d) { d.open = false; });
    printOpened = [];
  });

  if (!readHash()) { compute(); draw(); openTarget(); }
  root.setAttribute("data-ready", "true");
})();
