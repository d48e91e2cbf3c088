// Codex dashboard: renders dashboard.json (CONTRACT.md section 4) into the page.
//
// Security: issue titles, check details and every other value come from telemetry, which anyone
// who can open an issue can influence. Every value is inserted as text (textContent, text nodes,
// setAttribute on fixed attribute names); innerHTML is never used; only https:// URLs become
// links, or http:// URLs on the repository's own server when dashboard.json says it is served
// over http. The page's Content-Security-Policy allows no inline or remote script.
//
// Per-issue lists in telemetry are bounded (CONTRACT.md section 4): the first 200 entries, and
// beside each list an `…omitted` {count, pieces}. The rest are fetched only when a person asks
// ("Show all N"), from piece files details/COMPONENT-LIST-K.json next to dashboard.json, whose
// names this page builds from fixed component and list names and a counted K, never from the
// data. A piece is as untrusted as the rest.
"use strict";

(function () {
  const STALE_MS = 12 * 60 * 60 * 1000;
  const LIST_PREVIEW = 10;
  // Text-only DOM helpers, shared with the other page (dom.js, loaded first).
  const { h, s, append, text, isNum, list, obj, fetchJson } = window.CodexDom;
  // More pieces than this for one list is not a count this page believes.
  const PIECES_MAX = 1000;

  const COMPONENTS = [
    { key: "selftest", name: "Self-test" },
    { key: "cleaner", name: "Cleaner" },
    { key: "sync", name: "Project sync" },
    { key: "integrity", name: "Integrity" },
    { key: "supervisor", name: "Supervisor" },
    { key: "activity", name: "Activity" },
    { key: "diagnostics", name: "Diagnostics" },
  ];
  const TRACKS = [
    { key: "main", name: "Main track" },
    { key: "dashboard", name: "Dashboard track" },
  ];
  // Status words are shown as text, with a symbol; colour only repeats them.
  const SYMBOLS = {
    ok: "✓", warning: "!", error: "✗", skipped: "–",
    healthy: "✓", degraded: "!", failing: "✗", unknown: "?",
    active: "•", stale: "!", escalation: "✗",
    pass: "✓", fail: "✗", nodata: "?",
  };
  const CORRECTION_KINDS = [
    ["codex_label", "codex label added"],
    ["track_main", "Main track label added"],
    ["track_dashboard", "Dashboard track label added"],
    ["milestone", "Milestone set"],
    ["project_adjustments", "Added to the Project"],
  ];
  // The integrity scan's finding kinds, in the telemetry's order (SPEC15), grouped as the
  // issue groups them; `counts` has every kind, 0 when none.
  const INTEGRITY_GROUPS = [
    ["visibility", "Visibility", [
      ["rest_only", "Listed by REST, not by GraphQL"],
      ["graphql_only", "In GraphQL, not listed by REST"],
      ["count_mismatch", "Totals disagree"],
    ]],
    ["shape", "Shape", [
      ["unreadable", "Unreadable listed item"],
      ["labels_missing", "Labels missing"],
      ["label_malformed", "Malformed label"],
      ["milestone_malformed", "Malformed milestone"],
      ["milestone_unknown", "Unknown milestone"],
      ["date_invalid", "Missing or invalid date"],
      ["state_unknown", "Unknown state or state reason"],
      ["title_missing", "Title missing"],
    ]],
    ["gone", "Gone since last time", [
      ["transferred", "Transferred"],
      ["deleted", "Deleted"],
      ["not_visible", "No longer visible"],
      ["unlisted", "Exists but not listed"],
    ]],
    ["projects", "Projects", [
      ["project_item_orphaned", "Project item without its issue"],
      ["project_item_foreign", "Project item from another repository"],
      ["project_item_archived", "Archived Project item"],
      ["project_near_limit", "Project near its item limit"],
    ]],
    ["labels", "Labels", [
      ["label_case", "Managed label in another case"],
      ["track_conflict", "Both track labels"],
      ["label_undefined", "Label not in the repository"],
    ]],
  ];
  const INTEGRITY_KINDS = INTEGRITY_GROUPS.flatMap(([, , kinds]) => kinds);
  // Longest text shown for one value from the file (details, remedies, type names).
  const TEXT_MAX = 600;

  // ---- DOM helpers: text only ------------------------------------------------------------

  // The origin of the repository's server when it is served over plain http (set by render()
  // from dashboard.json's web_url): links there are links too.
  let httpOrigin = null;

  // Only https:// URLs (and http:// ones on the repository's own http server) become links.
  function safeUrl(url) {
    if (typeof url !== "string" || !/^https?:\/\//.test(url)) return null;
    try {
      const parsed = new URL(url);
      if (parsed.username || parsed.password) return null;
      if (parsed.protocol === "https:") return parsed.href;
      return parsed.protocol === "http:" && httpOrigin !== null && parsed.origin === httpOrigin ? parsed.href : null;
    } catch (_) {
      return null;
    }
  }

  function repoName(d) {
    return typeof d.repo === "string" && /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(d.repo) ? d.repo : null;
  }

  // The repository's page on its own server: dashboard.json's web_url (GitHub Enterprise
  // Server, the sandbox), else https://github.com/OWNER/NAME (files written before web_url).
  function webParts(d) {
    const repo = repoName(d);
    if (!repo) return null;
    if (typeof d.web_url === "string") {
      try {
        const u = new URL(d.web_url);
        if ((u.protocol === "https:" || u.protocol === "http:") && !u.username && !u.password && !u.search && !u.hash) {
          return { url: u.origin + u.pathname.replace(/\/+$/, ""), origin: u.origin, http: u.protocol === "http:" };
        }
      } catch (_) {
        // not a URL: the github.com fallback below
      }
    }
    return { url: "https://github.com/" + repo, origin: "https://github.com", http: false };
  }

  function repoUrl(d) {
    const web = webParts(d);
    return web ? web.url : null;
  }

  function issueUrl(base, number) {
    return base && Number.isInteger(number) && number > 0 ? base + "/issues/" + number : null;
  }

  function maybeLink(url, ...children) {
    const href = safeUrl(url);
    if (!href) return h("span", { class: "nolink" }, children);
    return h("a", { href: href, rel: "noopener noreferrer" }, children);
  }

  function badge(kind, label, extraClass) {
    const known = Object.prototype.hasOwnProperty.call(SYMBOLS, kind);
    return h(
      "span",
      { class: "badge badge-" + (known ? kind : "unknown") + (extraClass ? " " + extraClass : ""), "data-status": String(kind) },
      h("span", { class: "badge-icon", "aria-hidden": "true" }, known ? SYMBOLS[kind] : "?"),
      h("span", { class: "badge-text" }, label === undefined ? text(kind) : label),
    );
  }

  function section(id, title, intro, ...children) {
    return h(
      "section",
      { id: id, class: "section", "aria-labelledby": id + "-h" },
      h("h2", { id: id + "-h" }, title),
      intro ? h("p", { class: "section-intro muted" }, intro) : null,
      children,
    );
  }

  function panel(id, title, ...children) {
    return h("article", { id: id, class: "panel", "aria-labelledby": id + "-h" }, h("h3", { id: id + "-h" }, title), children);
  }

  function figures(rows, cls) {
    return h(
      "dl",
      { class: "figures" + (cls ? " " + cls : "") },
      rows.map(([key, label, value, note]) =>
        h("div", { class: "figure", "data-key": key }, h("dt", {}, label), h("dd", {}, value instanceof Node ? value : text(value), note ? h("span", { class: "figure-note" }, note) : null)),
      ),
    );
  }

  function empty(message) {
    return h("p", { class: "empty" }, h("span", { class: "empty-icon", "aria-hidden": "true" }, "○"), " ", message);
  }

  // First `LIST_PREVIEW` items visible, the rest behind a disclosure; with `more` (a bounded
  // list's pieces, see bounded()), a "Show all N" control that appends the omitted entries.
  function longList(tag, items, render, cls, noun, more) {
    const head = h(tag, { class: cls }, items.slice(0, LIST_PREVIEW).map(render));
    let tail = head;
    let disclosure = null;
    if (items.length > LIST_PREVIEW) {
      tail = h(tag, { class: cls, start: tag === "ol" ? LIST_PREVIEW + 1 : null }, items.slice(LIST_PREVIEW).map(render));
      disclosure = h("details", { class: "more" }, h("summary", {}, "Show " + (items.length - LIST_PREVIEW) + " more " + noun), tail);
    }
    const control = more ? showAll(more, tail, render, disclosure) : null;
    if (!disclosure && !control) return head;
    return h("div", {}, head, disclosure, control);
  }

  // ---- Pieces: the entries a bounded list left out --------------------------------------------

  // A bounded list of component telemetry `t`: `component` and `name` are the page's own
  // fixed names (the piece files are details/COMPONENT-NAME-K.json), `omitted` the telemetry's
  // {count, pieces} beside the list. Gives {t, component, name, count, pieces, total}.
  function bounded(t, component, name, items, omitted) {
    const o = obj(omitted);
    const more = count(o.count) || 0;
    const pieces = Math.min(count(o.pieces) || 0, PIECES_MAX);
    return { t: t, component: component, name: name, count: more, pieces: pieces, total: list(items).length + more };
  }

  // The "Show all N" control of a bounded list (null when nothing was left out): on click it
  // fetches the pieces in order, one at a time, appending each entry through `render` to
  // `target` (opening `disclosure`, the list's "more" part, when there is one). A piece from
  // another run is shown with a notice; a missing or garbled piece stops with one.
  function showAll(more, target, render, disclosure) {
    if (!more.count) return null;
    const key = more.component + "-" + more.name;
    const status = h("p", { class: "pieces-status muted", role: "status", "aria-live": "polite" });
    const notices = h("div", { class: "pieces-notices" });
    const box = h("div", { class: "pieces", "data-list": key }, status, notices);
    const notice = (cls, message) => notices.appendChild(h("p", { class: "notice " + cls }, message));
    if (!more.pieces) {
      status.textContent = more.count + " more not shown: their pieces were not written (see the component's warnings).";
      return box;
    }
    status.textContent = "Showing " + (more.total - more.count) + " of " + more.total + ".";
    const button = h("button", { type: "button", class: "show-all" }, "Show all " + more.total);
    box.insertBefore(button, status);
    const runId = more.t ? more.t.run_id : undefined;
    button.addEventListener("click", async () => {
      button.disabled = true;
      if (disclosure) disclosure.open = true;
      let shown = more.total - more.count;
      let otherRun = false;
      for (let k = 1; k <= more.pieces; k++) {
        const file = "details/" + key + "-" + k + ".json";
        status.textContent = "Loading part " + k + " of " + more.pieces + "…";
        let piece;
        try {
          piece = await fetchJson(file);
        } catch (e) {
          notice("notice-error pieces-missing", "Part " + k + " of " + more.pieces + " could not be loaded (" + text(e && e.message) + "): " + shown + " of " + more.total + " shown. Reload the page to try again.");
          status.textContent = "Showing " + shown + " of " + more.total + ".";
          return;
        }
        if (!piece || typeof piece !== "object" || Array.isArray(piece) || !Array.isArray(piece.entries) || piece.piece !== k || piece.entries.length > 1000) {
          notice("notice-error pieces-garbled", "Part " + k + " of " + more.pieces + " (" + file + ") is not a piece of this list: " + shown + " of " + more.total + " shown.");
          status.textContent = "Showing " + shown + " of " + more.total + ".";
          return;
        }
        if (piece.run_id !== runId && !otherRun) {
          otherRun = true;
          notice("notice-warning pieces-other-run", "Part " + k + " is from run " + text(piece.run_id) + ", not from run " + text(runId) + " shown above: a newer run replaced it, so the list may differ. Reload the page for the latest.");
        }
        const nodes = [];
        for (const entry of piece.entries) {
          if (entry === null || entry === undefined) continue;
          nodes.push(render(entry));
        }
        append(target, nodes);
        shown += nodes.length;
      }
      button.remove();
      status.textContent = "All " + shown + " shown.";
    });
    return box;
  }

  // ---- Time --------------------------------------------------------------------------------

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

  // `11-23 22:51`, or with seconds (`22:51:07`) when the runs shown are less than an hour apart.
  function fmtShort(ms, seconds) {
    const d = new Date(ms);
    const hm = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
    return seconds ? hm + ":" + pad(d.getUTCSeconds()) : pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " + hm;
  }

  function closeTogether(entries) {
    return entries.length > 1 && parseTime(entries[entries.length - 1].finished_at) - parseTime(entries[0].finished_at) < 3600e3;
  }

  function ago(ms, now) {
    const diff = now - ms;
    if (diff < -60000) return "in the future (clock skew?)";
    const min = Math.floor(diff / 60000);
    if (min < 1) return "just now";
    if (min < 60) return min + " min ago";
    const hours = Math.floor(min / 60);
    if (hours < 48) return hours + " h ago";
    return Math.floor(hours / 24) + " days ago";
  }

  function timeEl(raw) {
    const ms = parseTime(raw);
    if (ms === null) return h("span", {}, text(raw));
    return h("time", { datetime: new Date(ms).toISOString() }, fmtTime(ms));
  }

  function isStale(t, now) {
    const ms = parseTime(t && t.finished_at);
    return ms === null || now - ms > STALE_MS;
  }

  // ---- The verdict --------------------------------------------------------------------------

  function assess(d, now) {
    const failing = [];
    const attention = [];
    const present = COMPONENTS.filter((c) => d[c.key]);
    const generated = parseTime(d.generated_at);
    if (generated !== null && now - generated > STALE_MS) {
      failing.push("The pipeline has been silent: the data was generated " + ago(generated, now));
    }
    for (const c of COMPONENTS) {
      const t = d[c.key];
      if (!t) {
        attention.push(c.name + ": no data yet");
        continue;
      }
      const errors = list(t.errors);
      const warnings = list(t.warnings);
      if (t.status === "error") failing.push(c.name + " failed" + (errors.length ? ": " + text(errors[0]) : ""));
      else if (t.status === "warning") attention.push(c.name + ": " + (warnings.length ? text(warnings[0]) : "warning"));
      else if (t.status === "skipped") attention.push(c.name + " was skipped" + (warnings.length ? ": " + text(warnings[0]) : ""));
      if (isStale(t, now)) {
        const ms = parseTime(t.finished_at);
        attention.push(c.name + " telemetry is stale (last run " + (ms === null ? "unknown" : ago(ms, now)) + ")");
      }
    }
    const tracks = obj(obj(d.supervisor).tracks);
    for (const tr of TRACKS) {
      const t = obj(tracks[tr.key]);
      const why = [isNum(t.escalated) && t.escalated ? t.escalated + " escalated" : null, isNum(t.stale) && t.stale ? t.stale + " stale" : null, isNum(t.problems) && t.problems ? t.problems + " problems" : null].filter(Boolean).join(", ");
      if (t.health === "failing") failing.push(tr.name + " failing" + (why ? " (" + why + ")" : ""));
      else if (t.health === "degraded") attention.push(tr.name + " degraded" + (why ? " (" + why + ")" : ""));
      else if (t.health === "unknown") attention.push(tr.name + " unknown: the supervisor could not read what it needs");
      if (t.deteriorating === true) attention.push(tr.name + " is deteriorating");
    }
    const failed = list(obj(d.diagnostics).checks).filter((c) => c && c.ok === false).length;
    if (failed) attention.push("Diagnostics: " + failed + " check" + (failed === 1 ? "" : "s") + " failed");
    const stale = list(d.stale_components);
    if (stale.length) attention.push("Shown from an earlier merge: " + stale.map(text).join(", "));
    if (list(d.warnings).length) attention.push("telemetry-merge: " + text(d.warnings[0]));

    if (!present.length) return { level: "nodata", label: "No data yet", reasons: ["No component has reported telemetry yet."] };
    if (failing.length) return { level: "failing", label: "Failing", reasons: failing.concat(attention) };
    if (attention.length) return { level: "attention", label: "Attention", reasons: attention };
    return { level: "ok", label: "All well", reasons: ["All " + COMPONENTS.length + " components reported ok within the last 12 hours."] };
  }

  function renderHeader(d, now) {
    const repo = repoName(d);
    const h1 = document.getElementById("repo");
    h1.replaceChildren(repo ? maybeLink(repoUrl(d), repo) : h("span", {}, text(d.repo)));
    const generated = parseTime(d.generated_at);
    const gen = document.getElementById("generated");
    gen.replaceChildren(
      "Generated ",
      timeEl(d.generated_at),
      generated === null ? "" : " (" + ago(generated, now) + ")",
      generated !== null && now - generated > STALE_MS ? h("strong", { class: "flag-stale" }, " — stale: nothing merged for over 12 hours") : "",
    );
    const v = assess(d, now);
    const box = document.getElementById("verdict");
    box.className = "verdict verdict-" + v.level;
    box.setAttribute("data-verdict", v.level);
    const icons = { ok: "✓", attention: "!", failing: "✗", nodata: "?" };
    const more = v.reasons.length > 1 ? h("details", { class: "verdict-more" }, h("summary", {}, "All " + v.reasons.length + " reasons"), h("ul", {}, v.reasons.map((r) => h("li", {}, r)))) : null;
    box.replaceChildren(
      h("span", { class: "verdict-icon", "aria-hidden": "true" }, icons[v.level]),
      h("span", { class: "verdict-text" }, h("strong", { class: "verdict-label" }, v.label), " ", h("span", { class: "verdict-reason" }, v.reasons[0]), more),
    );
    document.title = (repo || "Codex") + " — " + v.label + " · Codex dashboard";
  }

  // ---- Components ---------------------------------------------------------------------------

  function headline(key, t) {
    const n = (v) => (isNum(v) ? v : "—");
    const len = (v) => list(v).length;
    switch (key) {
      case "selftest":
        return [
          ["issue", "Issue", isNum(t.issue_number) ? maybeLink(t.issue_url, "#" + t.issue_number) : "none"],
          ["verified", "Verified", t.verified === true ? "yes" : "no"],
          ["milestone", "Milestone", t.milestone],
        ];
      case "cleaner": {
        // Counts, not list lengths: a list holds the first 200.
        const all = (k) => len(t[k]) + (count(obj(t[k + "_omitted"]).count) || 0);
        return [["candidates", "Candidates", n(t.candidates)], ["closed", "Closed", all("issues_closed")], ["deleted", "Deleted", all("issues_deleted")], ["pruned", "Files pruned", n(t.telemetry_pruned_count)]];
      }
      case "sync": {
        const c = obj(t.corrections);
        const total = CORRECTION_KINDS.reduce((sum, [k]) => sum + (isNum(c[k]) ? c[k] : 0), 0);
        return [["scanned", "Scanned", n(t.scanned)], ["managed", "Managed", n(t.managed)], ["corrections", "Corrections", total], ["skipped", "Skipped", len(obj(t.integrity).malformed)]];
      }
      case "integrity": {
        const total = integrityTotal(t);
        const scanned = obj(t.scanned);
        return [
          ["findings", "Findings", total === null ? "—" : total ? total + (total === 1 ? " finding" : " findings") : "none"],
          ["comparison", "REST vs GraphQL", t.comparison_complete === false ? "partial" : t.comparison_complete === true ? "complete" : "—"],
          ["checked", "Checked one by one", n(scanned.checked)],
        ];
      }
      case "supervisor": {
        const tr = obj(t.tracks);
        return TRACKS.map((x) => [x.key, x.name, obj(tr[x.key]).health]).concat([["deteriorating", "Deteriorating", t.deteriorating === true ? "yes" : "no"]]);
      }
      case "activity": {
        if (t.unknown === true) return [["active", "Active", "unknown"], ["stale", "Stale", "unknown"], ["escalated", "Escalated", "unknown"]];
        const sum = (k) => TRACKS.reduce((acc, x) => acc + (isNum(obj(obj(t.summary)[x.key])[k]) ? obj(obj(t.summary)[x.key])[k] : 0), 0);
        return [["active", "Active", sum("active")], ["stale", "Stale", sum("stale")], ["escalated", "Escalated", sum("escalation")]];
      }
      case "diagnostics": {
        const checks = list(t.checks);
        return [["checks", "Checks", checks.length], ["failed", "Failed", checks.filter((c) => c && c.ok === false).length]];
      }
      default:
        return [];
    }
  }

  function messages(t) {
    const items = [];
    for (const e of list(t.errors)) items.push(h("li", { class: "msg msg-error" }, h("span", { class: "msg-kind" }, "Error: "), text(e)));
    for (const w of list(t.warnings)) items.push(h("li", { class: "msg msg-warning" }, h("span", { class: "msg-kind" }, "Warning: "), text(w)));
    return items.length ? h("ul", { class: "messages" }, items) : null;
  }

  function componentCard(c, d, now) {
    const t = d[c.key];
    const id = "card-" + c.key;
    const card = h("article", { id: id, class: "card", "data-component": c.key, "aria-labelledby": id + "-h" });
    if (!t || typeof t !== "object") {
      card.classList.add("card-nodata");
      append(card, [
        h("div", { class: "card-head" }, h("h3", { id: id + "-h" }, c.name), badge("nodata", "no data", "component-status")),
        empty("No data yet: this component has not reported any telemetry."),
      ]);
      return card;
    }
    const finished = parseTime(t.finished_at);
    const stale = isStale(t, now);
    const fromEarlier = list(d.stale_components).includes(c.key);
    if (stale) card.classList.add("card-stale");
    const api = obj(t.api);
    const meta = [
      "run " + text(t.run_id),
      isNum(api.requests) ? api.requests + " requests, " + (isNum(api.mutations) ? api.mutations : 0) + " writes" : null,
      isNum(api.rate_limit_remaining) ? "rate limit " + api.rate_limit_remaining + " left" : null,
      t.dry_run === true ? "dry run" : null,
    ].filter(Boolean).join(" · ");
    append(card, [
      h("div", { class: "card-head" }, h("h3", { id: id + "-h" }, c.name), badge(t.status, text(t.status), "component-status")),
      h(
        "p",
        { class: "when" },
        "Last ran ",
        timeEl(t.finished_at),
        finished === null ? "" : " · " + ago(finished, now) + " ",
        stale ? h("strong", { class: "flag flag-stale" }, h("span", { "aria-hidden": "true" }, "⚠ "), "stale: older than 12 h") : h("span", { class: "flag flag-fresh" }, "fresh"),
      ),
      fromEarlier ? h("p", { class: "flag flag-earlier" }, "Shown from an earlier merge: no valid telemetry was found this time.") : null,
      figures(headline(c.key, t)),
      messages(t),
      h("p", { class: "meta muted" }, meta),
    ]);
    return card;
  }

  function renderComponents(d, now) {
    const notices = [];
    const stale = list(d.stale_components);
    if (stale.length) {
      notices.push(h("div", { class: "notice notice-warning", id: "stale-components" }, h("strong", {}, "Shown from an earlier merge: "), stale.map(text).join(", "), " — telemetry-merge found no valid telemetry for them this time."));
    }
    if (list(d.warnings).length) {
      notices.push(h("div", { class: "notice notice-warning", id: "merge-warnings" }, h("strong", {}, "telemetry-merge warnings"), h("ul", {}, list(d.warnings).map((w) => h("li", {}, text(w))))));
    }
    return section("components", "Components", "Each component's latest run: status, when it ran, its headline figures, warnings and errors.", notices, h("div", { class: "cards" }, COMPONENTS.map((c) => componentCard(c, d, now))));
  }

  // ---- Tracks -------------------------------------------------------------------------------

  function byAge(a, b) {
    const da = isNum(a.days_inactive) ? a.days_inactive : -1;
    const db = isNum(b.days_inactive) ? b.days_inactive : -1;
    return db - da || (isNum(a.number) ? a.number : 0) - (isNum(b.number) ? b.number : 0);
  }

  function issueItem(item) {
    const status = item.status === "escalation" ? "escalation" : item.status === "stale" ? "stale" : "unknown";
    return h(
      "li",
      { class: "issue", "data-number": isNum(item.number) ? item.number : "", "data-status": status },
      badge(status, status === "escalation" ? "escalated" : text(item.status)),
      " ",
      maybeLink(item.url, h("span", { class: "issue-number" }, "#" + text(item.number)), " ", h("span", { class: "issue-title" }, text(item.title))),
      " ",
      h("span", { class: "muted days" }, isNum(item.days_inactive) ? item.days_inactive + " days inactive" : "inactivity unknown"),
    );
  }

  function trackPanel(tr, d) {
    const sup = d.supervisor ? obj(obj(d.supervisor.tracks)[tr.key]) : null;
    const act = d.activity ? obj(d.activity) : null;
    const id = "track-" + tr.key;
    const children = [];
    if (sup && sup.health === "unknown") {
      // Not assessed: its zeros are not counts, so none are shown.
      const prev = isNum(sup.previous_problems) ? sup.previous_problems : null;
      children.push(
        h("p", { class: "track-health" }, "Health: ", badge("unknown", "unknown", "track-health-badge")),
        h("p", { class: "notice track-unknown" }, "Not assessed in the latest supervisor run: what it needs could not be read (see its errors). The next run compares with the last run that knew this track" + (prev === null ? "." : " (" + prev + " problems).")),
      );
    } else if (sup && Object.keys(sup).length) {
      const prev = isNum(sup.previous_problems) ? sup.previous_problems : null;
      children.push(
        h("p", { class: "track-health" }, "Health: ", badge(sup.health, text(sup.health), "track-health-badge")),
        h(
          "p",
          { class: "deterioration" + (sup.deteriorating === true ? " is-deteriorating" : "") },
          sup.deteriorating === true
            ? [h("span", { "aria-hidden": "true" }, "↗ "), h("strong", {}, "Deteriorating"), ": problems rose from " + text(prev) + " to " + text(sup.problems) + " since the previous run"]
            : prev === null
              ? "Not deteriorating (no previous run to compare with)"
              : "Not deteriorating (problems " + prev + " → " + text(sup.problems) + ")",
        ),
        figures([
          ["open", "Open", sup.open],
          ["problems", "Problems", sup.problems],
          ["stale", "Stale", sup.stale],
          ["escalated", "Escalated", sup.escalated],
        ]),
        figures(
          [
            ["missing_codex_label", "Missing codex label", sup.missing_codex_label],
            ["missing_milestone", "Missing milestone", sup.missing_milestone],
            ["missing_track_label", "Missing track label", sup.missing_track_label],
            ["wrong_track", "Wrong track", sup.wrong_track],
          ],
          "figures-small",
        ),
      );
    } else {
      children.push(empty("No data yet: the supervisor has not reported on this track."));
    }
    if (act && act.unknown === true) {
      children.push(h("h4", {}, "Stale and escalated issues"), h("p", { class: "notice track-unknown" }, "Unknown: activity could not list the issues in its latest run (see its errors)."));
    } else if (act) {
      const items = list(act[tr.key]).filter((i) => i && (i.status === "stale" || i.status === "escalation")).slice().sort(byAge);
      const counts = obj(obj(act.summary)[tr.key]);
      const more = bounded(act, "activity", tr.key, items, obj(act.omitted)[tr.key]);
      // The count, not the list's length: the list holds the oldest 200.
      const total = count(counts.stale) !== null && count(counts.escalation) !== null ? counts.stale + counts.escalation : more.total;
      children.push(
        h("h4", {}, "Stale and escalated issues (" + total + "), oldest first"),
        h("p", { class: "muted activity-counts" }, "Activity: " + text(counts.active) + " active · " + text(counts.stale) + " stale · " + text(counts.escalation) + " escalated"),
        items.length ? longList("ol", items, issueItem, "issues", "issues", more) : empty("None: every open issue on this track is active."),
      );
    } else {
      children.push(h("h4", {}, "Stale and escalated issues"), empty("No data yet: activity has not reported."));
    }
    return panel(id, tr.name, children);
  }

  function renderTracks(d) {
    return section("tracks", "Tracks", "Per-track health from the supervisor; stale and escalated issues from activity, linking to GitHub.", h("div", { class: "grid-2" }, TRACKS.map((tr) => trackPanel(tr, d))));
  }

  // ---- Sync ---------------------------------------------------------------------------------

  function hbar(value, max) {
    const w = max > 0 ? Math.max(value > 0 ? 2 : 0, (value / max) * 100) : 0;
    return s("svg", { class: "hbar", viewBox: "0 0 100 10", preserveAspectRatio: "none", "aria-hidden": "true", focusable: "false" }, s("rect", { class: "hbar-bg", x: 0, y: 0, width: 100, height: 10 }), s("rect", { class: "hbar-fg", x: 0, y: 0, width: w.toFixed(2), height: 10 }));
  }

  const CHANGE_WORDS = {
    add_codex_label: "codex label",
    "codex-trackmain": "main track label",
    "codex-trackdashboard": "dashboard track label",
    milestone: "milestone",
    project: "Project",
  };

  function renderSync(d) {
    const t = d.sync;
    if (!t) return section("sync", "Sync", null, empty("No data yet: project sync has not reported."));
    const repo = repoUrl(d);
    const c = obj(t.corrections);
    const values = CORRECTION_KINDS.map(([k]) => (isNum(c[k]) ? c[k] : 0));
    const max = Math.max(0, ...values);
    const total = values.reduce((a, b) => a + b, 0);
    const corrections = panel(
      "sync-corrections",
      "Corrections by kind",
      h("p", { class: "muted" }, "Scanned " + text(t.scanned) + " items, " + text(t.managed) + " managed issues."),
      h(
        "table",
        { class: "corrections" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Kind"), h("th", { scope: "col", class: "num" }, "Count"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Bar")))),
        h(
          "tbody",
          {},
          CORRECTION_KINDS.map(([k, label], i) => h("tr", { "data-kind": k }, h("th", { scope: "row" }, label), h("td", { class: "num" }, isNum(c[k]) ? c[k] : "—"), h("td", { class: "bar" }, hbar(values[i], max)))),
        ),
        h("tfoot", {}, h("tr", { "data-kind": "total" }, h("th", { scope: "row" }, "Total"), h("td", { class: "num" }, total), h("td", {}))),
      ),
    );
    const details = list(t.details);
    const detailsMore = bounded(t, "sync", "details", details, t.details_omitted);
    const touched = panel(
      "sync-touched",
      "Issues touched (" + detailsMore.total + ")",
      details.length
        ? longList(
          "ul",
          details,
          (x) => h("li", { "data-number": isNum(obj(x).number) ? x.number : "" }, maybeLink(issueUrl(repo, obj(x).number), "#" + text(obj(x).number)), ": ", list(obj(x).changes).map((ch) => CHANGE_WORDS[ch] || text(ch)).join(", ")),
          "touched",
          "issues",
          detailsMore,
        )
        : empty("None: nothing needed correcting."),
    );
    const malformed = list(obj(t.integrity).malformed);
    const conflicts = list(t.track_conflicts);
    const conflictsMore = bounded(t, "sync", "track_conflicts", conflicts, t.track_conflicts_omitted);
    const skipped = panel(
      "sync-skipped",
      "Items sync could not use (" + malformed.length + ")",
      h("p", { class: "muted pointer" }, "Sync skips what it cannot understand and leaves it unchanged; the ", h("a", { href: "#integrity" }, "Integrity section"), " lists every finding, with what to do about it."),
      malformed.length
        ? longList("ul", malformed, (m) => h("li", { class: "finding" }, isNum(obj(m).number) ? maybeLink(issueUrl(repo, m.number), "#" + m.number) : h("span", {}, "(no number)"), ": ", text(obj(m).reason)), "findings", "items")
        : empty("None: every item was understood."),
      h("h4", {}, "Both track labels (" + conflictsMore.total + ")"),
      conflicts.length ? refList(repo, conflicts, conflictsMore, "conflicts", " — reported, left unchanged.") : empty("None."),
    );
    return section("sync", "Sync", "What project sync corrected in its latest run, and what it skipped.", h("div", { class: "grid-3" }, corrections, touched, skipped));
  }

  // ---- Integrity ----------------------------------------------------------------------------

  // A value from the file as text, cut short when it is very long.
  function clip(v, max) {
    const limit = max || TEXT_MAX;
    const t = text(v);
    return t.length > limit ? t.slice(0, limit) + "… (" + (t.length - limit) + " more characters)" : t;
  }

  // A count from the file: a non-negative integer, else null.
  function count(v) {
    return Number.isInteger(v) && v >= 0 ? v : null;
  }

  // A figure: the number, `absent` when the file says null (not read), "—" for anything else.
  function num(v, absent) {
    if (isNum(v)) return v;
    return v === null && absent ? absent : "—";
  }

  // All findings of the latest run: the sum of `counts` (which include the omitted ones).
  function integrityTotal(t) {
    const counts = Object.values(obj(t.counts)).map(count).filter((v) => v !== null);
    if (counts.length) return counts.reduce((a, b) => a + b, 0);
    if (Array.isArray(t.findings)) return t.findings.length + (count(t.findings_omitted) || 0);
    return null;
  }

  function issueRef(repo, number) {
    if (number === null || number === undefined) return h("span", { class: "muted" }, "(no number)");
    return maybeLink(issueUrl(repo, number), "#" + clip(number, 40));
  }

  // A panel that shows a notice instead of breaking its section when the data defeats it.
  function guardedPanel(id, title, build) {
    try {
      return build();
    } catch (e) {
      console.warn("dashboard: could not render " + title, e);
      return panel(id, title, h("p", { class: "notice notice-error" }, "This panel could not be shown: " + text(e && e.message)));
    }
  }

  // Every kind in the telemetry's order, then kinds this page does not know (a newer writer)
  // that have findings or a count.
  function integrityGroups(t, findings) {
    const counts = obj(t.counts);
    const seen = new Set(INTEGRITY_KINDS.map(([k]) => k));
    const others = [];
    const note = (k) => {
      if (typeof k === "string" && !seen.has(k) && others.length < 50) {
        seen.add(k);
        others.push([k, clip(k, 80)]);
      }
    };
    for (const k of Object.keys(counts)) if (count(counts[k])) note(k);
    for (const f of findings) note(f.kind);
    return others.length ? INTEGRITY_GROUPS.concat([["other", "Other kinds", others]]) : INTEGRITY_GROUPS;
  }

  function integrityCounts(t, groups) {
    const counts = obj(t.counts);
    const values = groups.flatMap(([, , kinds]) => kinds.map(([k]) => count(counts[k]) || 0));
    const max = values.reduce((a, b) => Math.max(a, b), 0);
    const total = integrityTotal(t);
    return panel(
      "integrity-counts",
      "Findings by kind",
      h(
        "table",
        { class: "corrections integrity-counts" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Kind"), h("th", { scope: "col", class: "num" }, "Count"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Bar")))),
        groups.map(([key, name, kinds]) => {
          const sum = kinds.reduce((a, [k]) => a + (count(counts[k]) || 0), 0);
          return h(
            "tbody",
            { "data-group": key },
            h("tr", { class: "group-row" }, h("th", { scope: "rowgroup", colspan: 2 }, name), h("td", { class: "num group-sum" }, sum ? sum : "")),
            kinds.map(([k, label]) => {
              const c = count(counts[k]);
              return h("tr", { "data-kind": k, class: c ? "has-findings" : null }, h("th", { scope: "row" }, label), h("td", { class: "num" }, c === null ? "—" : c), h("td", { class: "bar" }, hbar(c || 0, max)));
            }),
          );
        }),
        h("tfoot", {}, h("tr", { "data-kind": "total" }, h("th", { scope: "row" }, "Total"), h("td", { class: "num" }, total === null ? "—" : total), h("td", {}))),
      ),
    );
  }

  function baselineText(b) {
    if (b === "previous") return "Gone since last time: the managed issues of the previous integrity scan that are missing now were checked one by one.";
    if (b === "gaps") return "First scan: with no previous integrity scan to compare with, the gaps in the issue numbering were checked one by one instead.";
    return "Baseline for the one-by-one checks: " + clip(b, 80) + ".";
  }

  function integrityScanned(t) {
    const sc = obj(t.scanned);
    return panel(
      "integrity-scanned",
      "What was scanned",
      figures([
        ["rest", "REST listing (issues and pull requests)", num(sc.rest), isNum(sc.rest_issues) ? " — " + sc.rest_issues + " issues" : null],
        ["graphql", "GraphQL enumeration", num(sc.graphql, "not compared"), isNum(sc.graphql_total) ? " — its totalCount " + sc.graphql_total : null],
        ["repository_open", "Repository's own open count", num(sc.repository_open, "not read")],
        ["project_items", "Project items", num(sc.project_items, "not read")],
        ["checked", "Checked one by one", num(sc.checked)],
      ], "figures-rows"),
      h("p", { class: "muted baseline", id: "integrity-baseline" }, baselineText(t.baseline)),
    );
  }

  function findingItem(repo, f) {
    const moved = f.moved_to !== undefined && f.moved_to !== null;
    return h(
      "li",
      { class: "finding", "data-kind": typeof f.kind === "string" ? f.kind.slice(0, 80) : "", "data-number": Number.isInteger(f.number) ? f.number : "" },
      issueRef(repo, f.number),
      f.detail !== undefined && f.detail !== null && f.detail !== "" ? [": ", h("span", { class: "finding-detail" }, clip(f.detail))] : null,
      moved ? h("span", { class: "moved-to" }, " — moved to ", maybeLink(f.moved_to, clip(f.moved_to, 200))) : null,
    );
  }

  // One block per kind with findings (or a count): its name, how many, what to do, the issues.
  function integrityFindings(t, groups, repo, findings) {
    const counts = obj(t.counts);
    const byKind = new Map();
    for (const f of findings) {
      if (!byKind.has(f.kind)) byKind.set(f.kind, []);
      byKind.get(f.kind).push(f);
    }
    const omitted = count(t.findings_omitted);
    const blocks = [];
    for (const [, , kinds] of groups) {
      for (const [k, label] of kinds) {
        const items = byKind.get(k) || [];
        byKind.delete(k);
        const c = count(counts[k]);
        if (!items.length && !c) continue;
        const remedy = items.map((f) => f.remedy).find((r) => typeof r === "string" && r !== "");
        blocks.push(
          h(
            "div",
            { class: "kind-block", "data-kind": k },
            h("h4", {}, label + " (" + (c === null ? items.length : c) + ")"),
            h("p", { class: "remedy" }, h("strong", {}, "What to do: "), remedy === undefined ? "not given in this run's findings" : clip(remedy)),
            items.length ? longList("ul", items, (f) => findingItem(repo, f), "findings", "findings") : h("p", { class: "muted" }, "Not listed: beyond the telemetry's first 500 findings."),
          ),
        );
      }
    }
    // Findings whose kind is not a string: listed as they are, last.
    const rest = [...byKind.values()].flat();
    if (rest.length) {
      blocks.push(h("div", { class: "kind-block", "data-kind": "" }, h("h4", {}, "Findings of no known kind (" + rest.length + ")"), longList("ul", rest, (f) => findingItem(repo, f), "findings", "findings")));
    }
    const shown = findings.length;
    return panel(
      "integrity-findings",
      "Findings (" + shown + (omitted ? " listed, " + omitted + " more not listed" : "") + ")",
      omitted ? h("p", { class: "notice notice-warning", id: "integrity-omitted" }, omitted + " more finding" + (omitted === 1 ? " is" : "s are") + " not listed: the telemetry lists the first 500; the counts include them.") : null,
      blocks.length ? blocks : empty("None: nothing out of order was found."),
    );
  }

  function fieldsPanel(tr, t, repo) {
    const id = "fields-" + tr.key;
    const title = "Issue fields: " + tr.name;
    const f = obj(obj(t.fields)[tr.key]);
    if (!Object.keys(f).length) return panel(id, title, empty("Not reported in the latest integrity run."));
    const types = Object.entries(obj(f.types))
      .filter(([, v]) => count(v) !== null)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const untyped = count(f.untyped);
    const sub = obj(f.sub_issues);
    const total = count(sub.total);
    const done = count(sub.completed);
    const parents = count(sub.parents);
    const blocked = list(f.blocked_issues);
    const blockedMore = bounded(t, "integrity", "blocked_issues-" + tr.key, blocked, f.blocked_issues_omitted);
    const blockedCount = count(f.blocked);
    const TYPES_SHOWN = 50;
    return panel(
      id,
      title,
      h("p", { class: "muted" }, "Open managed issues on this track: " + text(num(f.issues)) + "."),
      figures([
        ["children", "With a parent", num(f.children)],
        ["blocked", "Blocked", num(f.blocked)],
        ["blocking", "Blocking", num(f.blocking)],
        ["locked", "Locked", num(f.locked)],
      ], "figures-small"),
      h("h4", {}, "Issue types"),
      types.length || untyped !== null
        ? h(
          "table",
          { class: "types" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Type"), h("th", { scope: "col", class: "num" }, "Issues"))),
          h(
            "tbody",
            {},
            types.slice(0, TYPES_SHOWN).map(([name, c]) => h("tr", { class: "type-row" }, h("th", { scope: "row" }, clip(name, 100)), h("td", { class: "num" }, c))),
            types.length > TYPES_SHOWN ? h("tr", { class: "type-more" }, h("td", { colspan: 2, class: "muted" }, "and " + (types.length - TYPES_SHOWN) + " more types")) : null,
            h("tr", { class: "untyped" }, h("th", { scope: "row" }, h("em", {}, "No type")), h("td", { class: "num" }, untyped === null ? "—" : untyped)),
          ),
        )
        : empty("Not reported (the server sends no issue types)."),
      h("h4", {}, "Sub-issue progress"),
      total
        ? h(
          "div",
          { class: "progress", "data-completed": done === null ? "" : done, "data-total": total },
          h("p", { class: "progress-text" }, (done === null ? "—" : done) + " of " + total + " sub-issues completed" + (done === null ? "" : " (" + Math.round((Math.min(done, total) / total) * 100) + "%)") + (parents === null ? "" : ", across " + parents + " parent issue" + (parents === 1 ? "" : "s"))),
          hbar(Math.min(done || 0, total), total),
        )
        : empty("No open issue on this track has sub-issues."),
      h("h4", {}, "Blocked by other issues (" + (blockedCount === null ? blocked.length : blockedCount) + ")"),
      blocked.length
        ? h("p", { class: "blocked" }, refList(repo, blocked, blockedMore, "refs", blockedCount !== null && blockedCount > blockedMore.total ? " — the first " + blocked.length + " listed" : null))
        : empty(blockedCount ? "Not listed." : "None."),
    );
  }

  function renderIntegrity(d) {
    const t = d.integrity;
    const intro = "What the integrity scan found in its latest run: REST compared with GraphQL, malformed issues, issues gone since the last scan, the Project's items and the labels. It only reads from GitHub.";
    if (!t || typeof t !== "object" || Array.isArray(t)) return section("integrity", "Integrity", intro, empty("No data yet: integrity has not reported."));
    const repo = repoUrl(d);
    const findings = list(t.findings).filter((f) => f && typeof f === "object" && !Array.isArray(f));
    const groups = integrityGroups(t, findings);
    return section(
      "integrity",
      "Integrity",
      intro,
      t.comparison_complete === false
        ? h("p", { class: "notice notice-warning", id: "integrity-incomplete" }, h("strong", {}, "The REST/GraphQL comparison is incomplete: "), "GraphQL failed part way, so issues missing from one side may not all be found; the other findings still stand.")
        : null,
      h(
        "div",
        { class: "grid-2" },
        guardedPanel("integrity-counts", "Findings by kind", () => integrityCounts(t, groups)),
        guardedPanel("integrity-scanned", "What was scanned", () => integrityScanned(t)),
      ),
      h("div", { class: "stack" }, guardedPanel("integrity-findings", "Findings", () => integrityFindings(t, groups, repo, findings))),
      h("div", { class: "grid-2" }, TRACKS.map((tr) => guardedPanel("fields-" + tr.key, "Issue fields: " + tr.name, () => fieldsPanel(tr, t, repo)))),
    );
  }

  // ---- Cleaner, self-test, diagnostics --------------------------------------------------------

  function issueRefs(repo, numbers, more) {
    const ns = list(numbers);
    if (!ns.length) return "none";
    return refList(repo, ns, more, "refs");
  }

  // Issue numbers as links, comma separated, in a <span class=cls> (then `note`), with a
  // bounded list's "Show all N" control when `more` says entries were left out.
  function refList(repo, numbers, more, cls, note) {
    const ref = (n, first) => h("span", { class: "ref", "data-number": isNum(n) ? n : "" }, first ? "" : ", ", issueRef(repo, n));
    const refs = h("span", { class: cls }, numbers.map((n, i) => ref(n, i === 0)));
    const control = more ? showAll(more, refs, (n) => ref(n, false), null) : null;
    const tail = note ? h("span", { class: "muted" }, note) : null;
    return control ? h("span", {}, refs, tail, control) : h("span", {}, refs, tail);
  }

  function cleanerPanel(d) {
    const t = d.cleaner;
    if (!t) return panel("cleaner", "Cleaner", empty("No data yet: the cleaner has not reported."));
    const repo = repoUrl(d);
    const pruned = list(t.telemetry_pruned);
    const more = (name) => bounded(t, "cleaner", name, t[name], t[name + "_omitted"]);
    const closed = more("issues_closed");
    const deleted = more("issues_deleted");
    const prunedFile = (p) => h("li", {}, h("code", {}, text(p)));
    const prunedList = h("ul", {}, pruned.map(prunedFile));
    const prunedControl = showAll(more("telemetry_pruned"), prunedList, prunedFile, null);
    return panel(
      "cleaner",
      "Cleaner",
      h("p", { class: "muted" }, "Retires old self-test issues and prunes old telemetry."),
      figures([
        ["candidates", "Self-test issues found", t.candidates],
        ["kept", "Kept", issueRefs(repo, t.kept, more("kept"))],
        ["closed", "Closed (" + closed.total + ")", issueRefs(repo, t.issues_closed, closed)],
        ["deleted", "Deleted (" + deleted.total + ")", issueRefs(repo, t.issues_deleted, deleted)],
        ["pruned", "Telemetry files pruned", t.telemetry_pruned_count],
      ], "figures-rows"),
      pruned.length ? h("details", { class: "more" }, h("summary", {}, "Pruned files"), prunedList, prunedControl) : null,
    );
  }

  function selftestPanel(d) {
    const t = d.selftest;
    if (!t) return panel("selftest", "Self-test", empty("No data yet: self-test has not reported."));
    const token = obj(t.token);
    const perms = Object.entries(obj(token.permissions));
    const scopes = Array.isArray(token.scopes) ? token.scopes : null;
    return panel(
      "selftest",
      "Self-test",
      h("p", { class: "muted" }, "Creates an issue, then reads it back to prove the token can write."),
      figures([
        ["issue", "Issue created", isNum(t.issue_number) ? maybeLink(t.issue_url, "#" + t.issue_number) : "none"],
        ["milestone", "Milestone", h("span", {}, text(t.milestone), t.milestone_fallback === true ? h("span", { class: "figure-note" }, " (fallback: CODEX_SELFTEST_MILESTONE not set)") : null)],
        ["verified", "Verified", t.verified === true ? badge("pass", "yes: labels and milestone read back") : badge("fail", "no: not confirmed by reading back")],
      ], "figures-rows"),
      h("h4", {}, "Token"),
      figures([
        ["kind", "Kind", token.kind],
        ["source", "Source", token.source],
        ["scopes", "Scopes", scopes ? (scopes.length ? h("span", { class: "chips" }, scopes.map((x) => h("code", { class: "chip" }, text(x)))) : "none") : "not reported (fine-grained tokens have none)"],
      ], "figures-rows"),
      perms.length
        ? h("ul", { class: "permissions", "aria-label": "Repository permissions" }, perms.map(([k, v]) => h("li", { "data-permission": k }, badge(v === true ? "pass" : "fail", (v === true ? "" : "no ") + k))))
        : empty("No repository permissions reported."),
      list(token.notes).length ? h("ul", { class: "notes" }, list(token.notes).map((n) => h("li", {}, text(n)))) : null,
    );
  }

  function renderUpkeep(d) {
    return section("upkeep", "Cleaner and self-test", null, h("div", { class: "grid-2" }, cleanerPanel(d), selftestPanel(d)));
  }

  function renderDiagnostics(d) {
    const t = d.diagnostics;
    if (!t) return section("diagnostics", "Diagnostics", null, empty("No data yet: diagnostics has not reported."));
    const checks = list(t.checks).map(obj);
    const failed = checks.filter((c) => c.ok === false);
    const ordered = failed.concat(checks.filter((c) => c.ok !== false));
    const repaired = list(t.repaired);
    return section(
      "diagnostics",
      "Diagnostics",
      checks.length + " checks · " + failed.length + " failed" + (failed.length ? " (listed first)" : ""),
      h(
        "ul",
        { class: "checklist" },
        ordered.map((c) =>
          h(
            "li",
            { class: "check " + (c.ok === true ? "check-ok" : "check-failed"), "data-ok": c.ok === true ? "true" : "false" },
            badge(c.ok === true ? "pass" : "fail", c.ok === true ? "pass" : "fail"),
            " ",
            h("code", { class: "check-name" }, text(c.name)),
            h("span", { class: "check-detail" }, text(c.detail)),
          ),
        ),
      ),
      repaired.length ? h("p", {}, "Repaired: ", repaired.map(text).join(", ")) : null,
    );
  }

  // ---- Trends (inline SVG built with DOM APIs) -----------------------------------------------

  function history(d, key) {
    return list(obj(d.history)[key])
      .map(obj)
      .filter((e) => parseTime(e.finished_at) !== null)
      .sort((a, b) => parseTime(a.finished_at) - parseTime(b.finished_at));
  }

  // Chart width in SVG units: the width it will be drawn at, so text keeps its size on a phone.
  function chartWidth() {
    const main = document.getElementById("main");
    const w = main ? main.clientWidth - 64 : 560;
    return Math.round(Math.min(560, Math.max(300, w)));
  }

  function niceMax(v) {
    if (v <= 4) return 4;
    const mag = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= v) return m * mag;
    return v;
  }

  function chartFigure(id, title, svg, legend, note) {
    return h("figure", { class: "chart", id: id }, h("figcaption", {}, h("strong", {}, title), note ? h("span", { class: "muted" }, " — " + note) : null), svg, legend);
  }

  function runsNote(entries) {
    if (!entries.length) return null;
    const first = parseTime(entries[0].finished_at);
    const last = parseTime(entries[entries.length - 1].finished_at);
    const sec = closeTogether(entries);
    return entries.length === 1 ? "1 run so far" : entries.length + " runs, " + fmtShort(first, sec) + " to " + fmtShort(last, sec) + " UTC";
  }

  // Gridlines at 0, half and max; the first and last run's time under their points (x(i)).
  function axes(svg, box, max, entries, x, centred) {
    for (const frac of [0, 0.5, 1]) {
      const y = box.b - frac * (box.b - box.t);
      svg.appendChild(s("line", { class: "grid", x1: box.l, x2: box.r, y1: y, y2: y }));
      svg.appendChild(s("text", { class: "tick", x: box.l - 6, y: y + 4, "text-anchor": "end" }, String(Math.round(max * frac))));
    }
    const last = entries.length - 1;
    const at = (i, anchor) => s("text", { class: "tick", x: x(i).toFixed(1), y: box.b + 16, "text-anchor": anchor }, fmtShort(parseTime(entries[i].finished_at), closeTogether(entries)));
    if (last === 0) svg.appendChild(at(0, "middle"));
    else if (last > 0) {
      svg.appendChild(at(0, centred ? "middle" : "start"));
      svg.appendChild(at(last, centred ? "middle" : "end"));
    }
  }

  function lineChart(id, title, entries, series) {
    if (!entries.length) return chartFigure(id, title, empty("No history yet."), null);
    const W = chartWidth(), H = 190;
    const box = { l: 34, r: W - 12, t: 10, b: H - 24 };
    const vals = series.flatMap((sr) => entries.map((e) => obj(e.figures)[sr.figure]).filter(isNum));
    const max = niceMax(Math.max(1, ...vals));
    const x = (i) => (entries.length === 1 ? (box.l + box.r) / 2 : box.l + (i * (box.r - box.l)) / (entries.length - 1));
    const y = (v) => box.b - (v / max) * (box.b - box.t);
    const latest = (sr) => obj(entries[entries.length - 1].figures)[sr.figure];
    const label = title + ": latest " + series.map((sr) => sr.name + " " + text(latest(sr))).join(", ") + " (" + runsNote(entries) + ")";
    const svg = s("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": label, class: "chart-svg" }, s("title", {}, label));
    axes(svg, box, max, entries, x, false);
    series.forEach((sr) => {
      const pts = entries.map((e, i) => [i, obj(e.figures)[sr.figure]]).filter(([, v]) => isNum(v));
      if (pts.length > 1) svg.appendChild(s("polyline", { class: "line " + sr.cls, fill: "none", points: pts.map(([i, v]) => x(i).toFixed(1) + "," + y(v).toFixed(1)).join(" ") }));
      for (const [i, v] of pts) {
        svg.appendChild(s("circle", { class: "dot " + sr.cls, cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 3 }, s("title", {}, sr.name + ": " + v + " (" + text(entries[i].run_id) + ")")));
      }
    });
    const legend = h("ul", { class: "legend" }, series.map((sr) => h("li", {}, s("svg", { class: "swatch", viewBox: "0 0 24 8", "aria-hidden": "true" }, s("line", { class: "line " + sr.cls, x1: 0, x2: 24, y1: 4, y2: 4 })), " " + sr.name + ": ", h("strong", {}, text(latest(sr))))));
    return chartFigure(id, title, svg, legend, runsNote(entries));
  }

  function barChart(id, title, entries, figure, name) {
    if (!entries.length) return chartFigure(id, title, empty("No history yet."), null);
    const W = chartWidth(), H = 190;
    const box = { l: 34, r: W - 12, t: 10, b: H - 24 };
    const vals = entries.map((e) => obj(e.figures)[figure]);
    const max = niceMax(Math.max(1, ...vals.filter(isNum)));
    const slot = (box.r - box.l) / Math.max(entries.length, 8);
    const centre = (i) => box.l + i * slot + slot / 2;
    const last = vals[vals.length - 1];
    const label = title + ": latest run " + text(last) + " (" + runsNote(entries) + ")";
    const svg = s("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": label, class: "chart-svg" }, s("title", {}, label));
    axes(svg, box, max, entries, centre, true);
    vals.forEach((v, i) => {
      if (!isNum(v)) return;
      const hgt = (v / max) * (box.b - box.t);
      svg.appendChild(s("rect", { class: "bar", x: (centre(i) - slot * 0.32).toFixed(1), y: (box.b - hgt).toFixed(1), width: (slot * 0.64).toFixed(1), height: hgt.toFixed(1) }, s("title", {}, name + ": " + v + " (" + text(entries[i].run_id) + ")")));
    });
    return chartFigure(id, title, svg, h("p", { class: "legend-text muted" }, name + " in the latest run: ", h("strong", {}, text(last))), runsNote(entries));
  }

  function glyph(status, cx, cy) {
    const r = 6;
    const title = s("title", {});
    let shape;
    if (status === "ok") shape = s("circle", { cx: cx, cy: cy, r: r });
    else if (status === "warning") shape = s("polygon", { points: [cx, cy - r - 1, cx + r + 1, cy + r, cx - r - 1, cy + r].join(" ") });
    else if (status === "error") shape = s("path", { d: "M" + (cx - r) + " " + (cy - r) + "L" + (cx + r) + " " + (cy + r) + "M" + (cx + r) + " " + (cy - r) + "L" + (cx - r) + " " + (cy + r) });
    else shape = s("line", { x1: cx - r, x2: cx + r, y1: cy, y2: cy });
    shape.setAttribute("class", "glyph glyph-" + (SYMBOLS[status] && ["ok", "warning", "error"].includes(status) ? status : "skipped"));
    return [shape, title];
  }

  function statusGrid(d) {
    const COLS = 24;
    const rows = COMPONENTS.map((c) => ({ c, entries: history(d, c.key).slice(-COLS) }));
    const cols = Math.max(1, ...rows.map((r) => r.entries.length));
    if (rows.every((r) => !r.entries.length)) return chartFigure("trend-status", "Component status over time", empty("No history yet."), null);
    const labelW = 104, cell = 22, W = Math.max(chartWidth(), labelW + cols * cell + 10), H = rows.length * 26 + 8;
    const svgLabel = "Component status over time, newest on the right: " + rows.map((r) => r.c.name + " " + (r.entries.length ? text(r.entries[r.entries.length - 1].status) : "no data")).join(", ");
    const svg = s("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": svgLabel, class: "chart-svg status-grid" }, s("title", {}, svgLabel));
    rows.forEach((r, ri) => {
      const cy = 15 + ri * 26;
      svg.appendChild(s("text", { class: "tick row-label", x: 0, y: cy + 4 }, r.c.name));
      const offset = cols - r.entries.length;
      r.entries.forEach((e, i) => {
        const cx = labelW + (offset + i) * cell + cell / 2;
        const [shape, title] = glyph(e.status, cx, cy);
        title.textContent = r.c.name + " " + text(e.run_id) + ": " + text(e.status);
        shape.appendChild(title);
        svg.appendChild(shape);
      });
      if (!r.entries.length) svg.appendChild(s("text", { class: "tick", x: labelW, y: cy + 4 }, "no data yet"));
    });
    const legend = h("ul", { class: "legend" }, ["ok", "warning", "error", "skipped"].map((st) => {
      const [shape] = glyph(st, 8, 8);
      return h("li", {}, s("svg", { class: "swatch swatch-glyph", viewBox: "0 0 16 16", "aria-hidden": "true" }, shape), " " + st);
    }));
    return chartFigure("trend-status", "Component status over time", svg, legend, "last " + cols + " run" + (cols === 1 ? "" : "s") + " per component, newest on the right");
  }

  function renderTrends(d) {
    let perTrack = history(d, "activity");
    let source = "activity";
    if (!perTrack.length) {
      perTrack = history(d, "supervisor");
      source = "supervisor";
    }
    return section(
      "trends",
      "Trends",
      "From the bounded run history in dashboard.json (per-track figures from " + source + ").",
      h(
        "div",
        { class: "grid-2 charts" },
        TRACKS.map((tr) =>
          lineChart("trend-" + tr.key, tr.name + ": stale and escalated", perTrack, [
            { name: "stale", figure: tr.key + "_stale", cls: "series-stale" },
            { name: "escalated", figure: tr.key + "_escalated", cls: "series-escalated" },
          ]),
        ),
        barChart("trend-corrections", "Corrections per sync run", history(d, "sync"), "corrections", "Corrections"),
        barChart("trend-integrity", "Findings per integrity run", history(d, "integrity"), "findings", "Findings"),
        lineChart("trend-integrity-kinds", "Integrity: visibility and gone", history(d, "integrity"), [
          { name: "REST/GraphQL differences", figure: "visibility", cls: "series-stale" },
          { name: "gone", figure: "gone", cls: "series-escalated" },
        ]),
        statusGrid(d),
      ),
    );
  }

  // ---- Page ---------------------------------------------------------------------------------

  function guarded(name, build) {
    try {
      return build();
    } catch (e) {
      console.warn("dashboard: could not render " + name, e);
      return h("section", { class: "section" }, h("h2", {}, name), h("p", { class: "notice notice-error" }, "This section could not be shown: " + text(e && e.message)));
    }
  }

  function render(d, now) {
    if (!d || typeof d !== "object" || Array.isArray(d)) throw new Error("dashboard.json is not an object");
    const web = webParts(d);
    httpOrigin = web && web.http ? web.origin : null;
    renderHeader(d, now);
    const main = document.getElementById("main");
    main.replaceChildren(
      guarded("Components", () => renderComponents(d, now)),
      guarded("Tracks", () => renderTracks(d)),
      guarded("Sync", () => renderSync(d)),
      guarded("Integrity", () => renderIntegrity(d)),
      guarded("Cleaner and self-test", () => renderUpkeep(d)),
      guarded("Diagnostics", () => renderDiagnostics(d)),
      guarded("Trends", () => renderTrends(d)),
    );
    document.documentElement.setAttribute("data-rendered", "true");
    // The render-complete mark: the browser tests measure navigation → here.
    if (window.performance && performance.mark) performance.mark("codex-rendered");
  }

  function fail(message) {
    const box = document.getElementById("verdict");
    box.className = "verdict verdict-failing";
    box.setAttribute("data-verdict", "error");
    box.replaceChildren(h("span", { class: "verdict-icon", "aria-hidden": "true" }, "✗"), h("span", { class: "verdict-text" }, h("strong", { class: "verdict-label" }, "Could not load the data"), " ", h("span", { class: "verdict-reason" }, message)));
    document.getElementById("repo").textContent = "Codex";
    const hint = location.protocol === "file:" ? "This page was opened from a file, where browsers do not let it read dashboard.json. Serve the folder instead: codex demo --serve, or python3 -m http.server in this directory." : "dashboard.json is written by telemetry-merge next to this page.";
    document.getElementById("main").replaceChildren(h("p", { class: "notice notice-error", id: "load-error" }, message + ". " + hint));
    document.documentElement.setAttribute("data-rendered", "error");
  }

  function load() {
    window.CodexDom.load("dashboard.json", render, fail);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", load);
  else load();
})();
