// Codex organisation overview: renders federation.json (CONTRACT.md section 4) into the page,
// one row per repository, sortable and filterable.
//
// Security: repository names, reasons and warnings come from files anyone with access to a
// repository's pages subtree could influence. Every value is inserted as text (textContent, text
// nodes, setAttribute on fixed attribute names); innerHTML is never used; a row links to its
// dashboard only through a relative path rebuilt from a valid `owner/name`, and only https://
// URLs become outside links. The page's Content-Security-Policy allows no inline or remote script.
"use strict";

(function () {
  // Text-only DOM helpers, shared with the other page (dom.js, loaded first).
  const { h, s, text, isNum, list, obj } = window.CodexDom;
  const TRACKS = [
    { key: "main", name: "Main" },
    { key: "dashboard", name: "Dashboard" },
  ];
  const SYMBOLS = {
    ok: "✓", attention: "!", failing: "✗", nodata: "?",
    healthy: "✓", degraded: "!", unknown: "?", none: "–",
  };
  const OVERALL_LABEL = { ok: "All well", attention: "Attention", failing: "Failing", nodata: "No data" };
  // Worst first when sorting by status or health.
  const SEVERITY = { failing: 3, attention: 2, nodata: 1, ok: 0 };
  const HEALTH_RANK = { failing: 4, unknown: 3, degraded: 2, healthy: 0 };

  // ---- DOM helpers: text only ------------------------------------------------------------

  function num(v) {
    return isNum(v) ? v : 0;
  }

  function oneOf(v, allowed, fallback) {
    return typeof v === "string" && Object.prototype.hasOwnProperty.call(allowed, v) ? v : fallback;
  }

  // Only https:// URLs without credentials become outside links.
  function safeUrl(url) {
    if (typeof url !== "string" || !/^https:\/\//.test(url)) return null;
    try {
      const parsed = new URL(url);
      if (parsed.username || parsed.password || parsed.protocol !== "https:") return null;
      return parsed.href;
    } catch (_) {
      return null;
    }
  }

  // GitHub's rules for `owner/name`: the only names that get a link to their dashboard.
  function repoName(v) {
    if (typeof v !== "string" || !/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9_.-]{1,100}$/.test(v)) return null;
    const name = v.split("/")[1];
    return name === "." || name === ".." || v.startsWith("-") ? null : v;
  }

  // The dashboard's relative path, rebuilt from the name (never taken from the data as is).
  function dashboardPath(repo) {
    return repo.split("/").map(encodeURIComponent).join("/") + "/dashboard/";
  }

  function parseTime(v) {
    const t = typeof v === "string" ? Date.parse(v) : NaN;
    return Number.isNaN(t) ? null : t;
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  function fmtTime(ms) {
    const d = new Date(ms);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + " UTC";
  }

  function agoSeconds(sec) {
    if (sec < -60) return "in the future (clock skew?)";
    const min = Math.floor(sec / 60);
    if (min < 1) return "just now";
    if (min < 60) return min + " min ago";
    const hours = Math.floor(min / 60);
    if (hours < 48) return hours + " h ago";
    return Math.floor(hours / 24) + " days ago";
  }

  function badge(kind, label, extraClass) {
    return h("span", { class: "badge badge-" + kind + (extraClass ? " " + extraClass : "") },
      h("span", { class: "badge-icon", "aria-hidden": "true" }, SYMBOLS[kind] || "•"),
      h("span", { class: "badge-text" }, label));
  }

  // ---- Rows ---------------------------------------------------------------------------------

  // A row of federation.json, checked and reduced to what the page shows and sorts by.
  function normalise(r) {
    r = obj(r);
    const repo = typeof r.repo === "string" ? r.repo : text(r.repo);
    const tracks = {};
    for (const tr of TRACKS) {
      const t = obj(obj(r.tracks)[tr.key]);
      tracks[tr.key] = {
        health: oneOf(t.health, HEALTH_RANK, null),
        open: num(t.open),
        stale: num(t.stale),
        escalated: num(t.escalated),
        problems: num(t.problems),
      };
    }
    const trend = list(r.trend).map((p) => num(obj(p).attention));
    const lastRun = parseTime(r.last_run);
    const age = isNum(r.age_seconds) ? r.age_seconds : null;
    const overall = oneOf(r.overall, SEVERITY, "nodata");
    const reasons = list(r.reasons).map(text);
    const valid = repoName(repo);
    return {
      repo,
      link: valid ? dashboardPath(valid) : null,
      web: safeUrl(r.web_url),
      overall,
      reasons,
      tracks,
      corrections: isNum(r.corrections) ? r.corrections : null,
      warnings: num(r.warnings),
      errors: num(r.errors),
      lastRun,
      age,
      fresh: r.fresh === true,
      trend,
      problem: overall !== "ok",
      haystack: [repo, overall, OVERALL_LABEL[overall]].concat(reasons, TRACKS.map((tr) => tracks[tr.key].health || "")).join("\n").toLowerCase(),
    };
  }

  function trackCell(t, name) {
    const health = t.health || "none";
    return h("td", { class: "org-track", "data-label": name + " track" },
      badge(health, t.health || "no data"),
      h("span", { class: "org-counts" },
        h("span", { class: "org-open", title: "open" }, t.open + " open"), " · ",
        h("span", { class: "org-stale" + (t.stale ? " org-nonzero" : "") }, t.stale + " stale"), " · ",
        h("span", { class: "org-escalated" + (t.escalated ? " org-nonzero" : "") }, t.escalated + " escalated")));
  }

  // A sparkline of the latest supervisor runs' problems + stale + escalated, with the numbers
  // as text for screen readers and for the tests.
  function trendCell(values) {
    const td = h("td", { class: "org-trend", "data-label": "Trend" });
    if (!values.length) {
      td.appendChild(h("span", { class: "muted" }, "—"));
      return td;
    }
    const w = 80;
    const hgt = 20;
    const max = Math.max(1, ...values);
    const step = values.length > 1 ? w / (values.length - 1) : 0;
    const pts = values.map((v, i) => (values.length > 1 ? i * step : w / 2).toFixed(1) + "," + (hgt - 2 - (v / max) * (hgt - 4)).toFixed(1));
    const svg = s("svg", { class: "org-spark", viewBox: "0 0 " + w + " " + hgt, width: w, height: hgt, "aria-hidden": "true", focusable: "false" },
      s("polyline", { class: "org-spark-line", points: pts.join(" ") }));
    const last = values[values.length - 1];
    const first = values[0];
    const dir = last > first ? "up" : last < first ? "down" : "flat";
    td.append(svg, h("span", { class: "org-trend-text", "data-trend": dir },
      h("span", { class: "visually-hidden" }, "Problems, stale and escalated over the last " + values.length + " runs: "),
      h("span", { class: "org-trend-values" }, values.join(" ")),
      " ", h("span", { class: "org-trend-last" }, (dir === "up" ? "↑ " : dir === "down" ? "↓ " : "→ ") + last)));
    return td;
  }

  function rowEl(r) {
    const name = h("bdi", { class: "org-name" }, r.repo);
    const repoCell = h("th", { scope: "row", class: "org-repo", "data-label": "Repository" },
      r.link ? h("a", { href: r.link, class: "org-link" }, name) : name);
    if (r.web) repoCell.append(" ", h("a", { href: r.web, class: "org-web", rel: "noopener noreferrer" }, h("span", { "aria-hidden": "true" }, "↗"), h("span", { class: "visually-hidden" }, "repository page")));
    const status = h("td", { class: "org-status", "data-label": "Status" }, badge(r.overall === "attention" ? "attention" : r.overall, OVERALL_LABEL[r.overall], "org-overall"));
    if (r.reasons.length) {
      status.append(h("ul", { class: "org-reasons" }, r.reasons.map((x) => h("li", {}, h("bdi", {}, x)))));
    }
    const when = h("td", { class: "org-when" + (r.fresh ? "" : " org-stale-run"), "data-label": "Last run" });
    if (r.lastRun === null) when.append(h("span", { class: "muted" }, "never"));
    else when.append(h("time", { datetime: new Date(r.lastRun).toISOString() }, fmtTime(r.lastRun)), h("br"), h("span", { class: r.fresh ? "flag flag-fresh" : "flag flag-stale" }, (r.age === null ? "" : agoSeconds(r.age)) + (r.fresh ? "" : " · stale")));
    const n = (v, label, cls) => h("td", { class: "num " + cls + (v ? " org-nonzero" : ""), "data-label": label }, v === null ? "—" : String(v));
    return h("tr", { class: "org-row org-row-" + r.overall, "data-overall": r.overall },
      repoCell,
      status,
      TRACKS.map((tr) => trackCell(r.tracks[tr.key], tr.name)),
      n(r.corrections, "Corrections", "org-corrections"),
      n(r.warnings, "Warnings", "org-warnings"),
      n(r.errors, "Errors", "org-errors"),
      when,
      trendCell(r.trend));
  }

  // ---- Sorting and filtering ------------------------------------------------------------------

  const byName = (a, b) => (a.repo < b.repo ? -1 : a.repo > b.repo ? 1 : 0);
  const trackKey = (k) => (r) => [r.tracks[k].health === null ? -1 : HEALTH_RANK[r.tracks[k].health], r.tracks[k].escalated, r.tracks[k].stale, r.tracks[k].open];
  const COLUMNS = [
    { key: "repo", label: "Repository", value: (r) => r.repo, text: true },
    { key: "status", label: "Status", value: (r) => [SEVERITY[r.overall], r.errors, r.warnings] },
    { key: "main", label: "Main track", value: trackKey("main") },
    { key: "dashboard", label: "Dashboard track", value: trackKey("dashboard") },
    { key: "corrections", label: "Corrections last run", value: (r) => (r.corrections === null ? -1 : r.corrections), num: true },
    { key: "warnings", label: "Warnings", value: (r) => r.warnings, num: true },
    { key: "errors", label: "Errors", value: (r) => r.errors, num: true },
    { key: "last_run", label: "Last run", value: (r) => (r.lastRun === null ? -Infinity : r.lastRun) },
    { key: "trend", label: "Trend", value: (r) => (r.trend.length ? r.trend[r.trend.length - 1] : -1) },
  ];

  function compareValues(a, b) {
    if (Array.isArray(a)) {
      for (let i = 0; i < a.length; i++) {
        const c = compareValues(a[i], b[i]);
        if (c) return c;
      }
      return 0;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  }

  const state = { rows: [], sortKey: "status", descending: true, filter: "", onlyProblems: false, tbody: null, heads: {} };

  function sortRows() {
    const col = COLUMNS.find((c) => c.key === state.sortKey) || COLUMNS[0];
    const sign = state.descending ? -1 : 1;
    state.rows.sort((a, b) => sign * compareValues(col.value(a), col.value(b)) || byName(a, b));
  }

  function visible(r) {
    if (state.onlyProblems && !r.problem) return false;
    return !state.filter || r.haystack.includes(state.filter);
  }

  function update() {
    sortRows();
    let shown = 0;
    for (const r of state.rows) {
      const show = visible(r);
      r.el.hidden = !show;
      if (show) shown++;
      state.tbody.appendChild(r.el);
    }
    for (const c of COLUMNS) {
      const th = state.heads[c.key];
      if (c.key === state.sortKey) th.setAttribute("aria-sort", state.descending ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
    }
    document.getElementById("shown").textContent = "Showing " + shown + " of " + state.rows.length + " repositories";
    document.getElementById("org-empty").hidden = shown !== 0;
  }

  function headCell(c) {
    const button = h("button", { type: "button", class: "org-sort", "data-sort": c.key }, c.label, h("span", { class: "org-sort-icon", "aria-hidden": "true" }));
    button.addEventListener("click", () => {
      if (state.sortKey === c.key) state.descending = !state.descending;
      else {
        state.sortKey = c.key;
        // names A→Z first; figures worst (largest) first
        state.descending = !c.text;
      }
      update();
    });
    const th = h("th", { scope: "col", class: c.num ? "num" : null }, button);
    state.heads[c.key] = th;
    return th;
  }

  // ---- Page ---------------------------------------------------------------------------------

  function renderHeader(d, rows, now) {
    const generated = parseTime(d.generated_at);
    const g = document.getElementById("generated");
    g.replaceChildren();
    if (generated !== null) g.append("Generated ", h("time", { datetime: new Date(generated).toISOString() }, fmtTime(generated)));
    if (generated !== null && now - generated > 12 * 3600e3) g.append(" ", h("span", { class: "flag-stale" }, "(over 12 hours old)"));
    const count = (k) => rows.filter((r) => r.overall === k).length;
    const failing = count("failing");
    const attention = count("attention");
    const nodata = count("nodata");
    const level = !rows.length ? "nodata" : failing ? "failing" : attention || nodata ? "attention" : "ok";
    const label = !rows.length ? "No repositories yet" : failing ? failing + " failing" : attention || nodata ? (attention + nodata) + " to look at" : "All well";
    const parts = [rows.length + " repositories", count("ok") + " all well", attention + " attention", failing + " failing", nodata + " without data"];
    const box = document.getElementById("verdict");
    box.className = "verdict verdict-" + level;
    box.setAttribute("data-verdict", level);
    box.replaceChildren(h("span", { class: "verdict-icon", "aria-hidden": "true" }, SYMBOLS[level]),
      h("span", { class: "verdict-text" }, h("strong", { class: "verdict-label" }, label), " ", h("span", { class: "verdict-reason" }, parts.join(", ") + ".")));
  }

  function notices(d) {
    const out = [];
    const pending = list(d.pending).map(text);
    if (pending.length) {
      out.push(h("div", { class: "notice notice-warning", id: "pending" }, "Not reached by the latest run (they go first next time): ",
        h("ul", {}, pending.map((p) => h("li", {}, h("bdi", {}, p))))));
    }
    const warnings = list(d.warnings).map(text);
    if (warnings.length) {
      out.push(h("div", { class: "notice notice-warning", id: "org-warnings" }, "Not shown: ",
        h("ul", {}, warnings.map((w) => h("li", {}, h("bdi", {}, w))))));
    }
    return out;
  }

  function render(d, now) {
    if (!d || typeof d !== "object" || Array.isArray(d)) throw new Error("federation.json is not an object");
    const rows = list(d.repositories).map(normalise);
    renderHeader(d, rows, now);
    state.rows = rows;
    state.tbody = h("tbody", {});
    for (const r of rows) r.el = rowEl(r);
    const table = h("table", { class: "org-table", id: "repos" },
      h("caption", { class: "visually-hidden" }, "Repositories; select a column heading to sort"),
      h("thead", {}, h("tr", {}, COLUMNS.map(headCell))),
      state.tbody);
    document.getElementById("main").replaceChildren(...notices(d), table, h("p", { class: "empty", id: "org-empty", hidden: true }, "No repository matches."));
    const filter = document.getElementById("filter");
    const only = document.getElementById("only-problems");
    const onFilter = () => {
      state.filter = filter.value.trim().toLowerCase();
      state.onlyProblems = only.checked;
      update();
    };
    filter.addEventListener("input", onFilter);
    only.addEventListener("change", onFilter);
    document.getElementById("controls").addEventListener("submit", (e) => e.preventDefault());
    onFilter();
    document.documentElement.setAttribute("data-rendered", "true");
  }

  function fail(message) {
    const box = document.getElementById("verdict");
    box.className = "verdict verdict-failing";
    box.setAttribute("data-verdict", "error");
    box.replaceChildren(h("span", { class: "verdict-icon", "aria-hidden": "true" }, "✗"), h("span", { class: "verdict-text" }, h("strong", { class: "verdict-label" }, "Could not load the data"), " ", h("span", { class: "verdict-reason" }, message)));
    document.getElementById("main").replaceChildren(h("p", { class: "notice notice-error", id: "load-error" }, message + ". federation.json is written next to this page."));
    document.documentElement.setAttribute("data-rendered", "error");
  }

  function load() {
    window.CodexDom.load("federation.json", render, fail);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", load);
  else load();
})();
