// Codex dashboard: renders dashboard.json. Every value from telemetry is inserted as text
// (textContent), and only https:// links become anchors: issue titles are written by anyone.
"use strict";

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function link(url, text) {
  if (typeof url === "string" && url.startsWith("https://")) {
    const a = el("a", text);
    a.href = url;
    a.rel = "noopener noreferrer";
    return a;
  }
  return el("span", text);
}

function statusBadge(status) {
  const labels = { ok: "✓ ok", warning: "! warning", error: "✗ error", skipped: "– skipped" };
  return el("span", labels[status] || String(status), "status status-" + status);
}

function card(title, data, body) {
  const section = el("section");
  section.setAttribute("aria-label", title);
  section.appendChild(el("h2", title));
  if (!data) {
    section.appendChild(el("p", "No data yet.", "muted"));
    return section;
  }
  const head = el("p");
  head.appendChild(statusBadge(data.status));
  head.appendChild(el("span", " · finished " + (data.finished_at || "?") + " · run " + (data.run_id || "?"), "muted"));
  section.appendChild(head);
  if (body) body(section, data);
  for (const w of data.warnings || []) section.appendChild(el("p", "Warning: " + w, "status-warning"));
  for (const e of data.errors || []) section.appendChild(el("p", "Error: " + e, "status-error"));
  return section;
}

function table(rows) {
  const t = el("table");
  for (const [k, v] of rows) {
    const tr = el("tr");
    tr.appendChild(el("th", k));
    tr.appendChild(el("td", v));
    t.appendChild(tr);
  }
  return t;
}

function render(d) {
  document.getElementById("repo").textContent = d.repo || "";
  document.getElementById("generated").textContent = "Generated " + (d.generated_at || "?");
  const keys = ["selftest", "cleaner", "sync", "supervisor", "activity", "diagnostics"];
  const statuses = keys.map((k) => d[k] && d[k].status).filter(Boolean);
  const verdict = statuses.includes("error") ? "Failing: a component reported an error"
    : statuses.includes("warning") ? "Attention: some components reported warnings"
    : statuses.length ? "All well" : "No data yet";
  document.getElementById("verdict").textContent = verdict;
  const main = document.getElementById("main");
  main.replaceChildren();
  main.appendChild(card("Self-test", d.selftest, (s, t) => {
    s.appendChild(table([["Issue", t.issue_number == null ? "none" : "#" + t.issue_number], ["Milestone", t.milestone || "none"], ["Verified", t.verified ? "yes" : "no"]]));
  }));
  main.appendChild(card("Cleaner", d.cleaner, (s, t) => {
    s.appendChild(table([["Candidates", t.candidates], ["Kept", (t.kept || []).length], ["Closed", (t.issues_closed || []).length], ["Deleted", (t.issues_deleted || []).length], ["Telemetry pruned", t.telemetry_pruned_count]]));
  }));
  main.appendChild(card("Project sync", d.sync, (s, t) => {
    const c = t.corrections || {};
    s.appendChild(table([["Scanned", t.scanned], ["Managed", t.managed], ["codex label", c.codex_label], ["Main track", c.track_main], ["Dashboard track", c.track_dashboard], ["Milestone", c.milestone], ["Project", c.project_adjustments], ["Integrity findings", ((t.integrity || {}).malformed || []).length]]));
  }));
  main.appendChild(card("Supervisor", d.supervisor, (s, t) => {
    for (const track of ["main", "dashboard"]) {
      const h = (t.tracks || {})[track];
      if (!h) continue;
      s.appendChild(el("h3", track + ": " + h.health + (h.deteriorating ? " (deteriorating)" : "")));
      s.appendChild(table([["Open", h.open], ["Problems", h.problems], ["Stale", h.stale], ["Escalated", h.escalated]]));
    }
  }));
  main.appendChild(card("Activity", d.activity, (s, t) => {
    for (const track of ["main", "dashboard"]) {
      const items = (t[track] || []).filter((i) => i.status !== "active");
      s.appendChild(el("h3", track + ": " + items.length + " stale or escalated"));
      const ul = el("ul");
      for (const i of items.slice(0, 50)) {
        const li = el("li");
        li.appendChild(link(i.url, "#" + i.number + " " + i.title));
        li.appendChild(el("span", " — " + i.status + ", " + i.days_inactive + " days", "muted"));
        ul.appendChild(li);
      }
      s.appendChild(ul);
    }
  }));
  main.appendChild(card("Diagnostics", d.diagnostics, (s, t) => {
    const ul = el("ul");
    for (const c of t.checks || []) ul.appendChild(el("li", (c.ok ? "✓ " : "✗ ") + c.name + ": " + c.detail, c.ok ? "status-ok" : "status-error"));
    s.appendChild(ul);
  }));
}

fetch("dashboard.json", { cache: "no-store" })
  .then((r) => { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
  .then(render)
  .catch((e) => { document.getElementById("verdict").textContent = "Could not load dashboard.json: " + e.message; });
