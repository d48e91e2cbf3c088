// The dashboard's Integrity section in headless Chromium. The integrity telemetry is written
// here by hand (SPEC15's shape) into the demo's dashboard.json, so these tests do not depend on
// whether `codex demo` runs the integrity component. Run by scripts/test-browser.sh.
"use strict";
const { describe, test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { launch, dashboardUrl } = require("./lib/browser");
const { openDashboard, texts, assertClean, widths } = require("./lib/page");

// Every finding kind, in the telemetry's order, with the group the page shows it under.
const KINDS = [
  ["rest_only", "visibility"],
  ["graphql_only", "visibility"],
  ["count_mismatch", "visibility"],
  ["unreadable", "shape"],
  ["labels_missing", "shape"],
  ["label_malformed", "shape"],
  ["milestone_malformed", "shape"],
  ["milestone_unknown", "shape"],
  ["date_invalid", "shape"],
  ["state_unknown", "shape"],
  ["title_missing", "shape"],
  ["transferred", "gone"],
  ["deleted", "gone"],
  ["not_visible", "gone"],
  ["unlisted", "gone"],
  ["project_item_orphaned", "projects"],
  ["project_item_foreign", "projects"],
  ["project_item_archived", "projects"],
  ["project_near_limit", "projects"],
  ["label_case", "labels"],
  ["track_conflict", "labels"],
  ["label_undefined", "labels"],
];
const GROUPS = ["visibility", "shape", "gone", "projects", "labels"];

let browser;
let demo; // the served dashboard.json

const clone = (v) => JSON.parse(JSON.stringify(v));

const REMEDY = {
  rest_only: "GitHub's search index lags: wait for the next scan; if it persists, edit the issue to reindex it.",
  graphql_only: "REST is the source of truth: check the issue on the web; report to GitHub support if it persists.",
  count_mismatch: "Counts settle after GitHub's caches refresh; recheck on the next scan.",
  label_malformed: "Remove and re-add the label on the issue.",
  transferred: "The issue lives in another repository now: follow it there.",
  deleted: "Nothing to do: the issue was deleted.",
  project_item_archived: "Unarchive the item in the Project so sync can update it.",
  track_conflict: "Remove one of the two track labels.",
};

/** Integrity telemetry (SPEC15) for the demo's repository, with one or two findings of 8 kinds. */
function integrity(d) {
  const counts = Object.fromEntries(KINDS.map(([k]) => [k, 0]));
  const findings = [
    { kind: "rest_only", number: 141, detail: "listed by REST, not enumerated by GraphQL" },
    { kind: "graphql_only", number: 310, detail: "enumerated by GraphQL, not listed by REST" },
    { kind: "count_mismatch", number: null, detail: "REST open items 181, open_issues_count 180" },
    { kind: "label_malformed", number: 103, detail: "label without a name" },
    { kind: "label_malformed", number: 104, detail: "label 7 is not a string or object" },
    { kind: "transferred", number: 150, detail: "301 Moved Permanently", moved_to: "https://github.com/elsewhere/repo/issues/9" },
    { kind: "deleted", number: 151, detail: "410 Gone" },
    { kind: "project_item_archived", number: 120, detail: "archived item PVTI_1" },
    { kind: "track_conflict", number: 122, detail: "carries codex-track:main and codex-track:dashboard" },
  ].map((f) => ({ moved_to: null, remedy: REMEDY[f.kind], ...f }));
  for (const f of findings) counts[f.kind] += 1;
  return {
    schema_version: d.sync.schema_version,
    component: "integrity",
    status: "warning",
    run_id: "integrity-run-1",
    started_at: d.sync.started_at,
    finished_at: d.sync.finished_at,
    dry_run: false,
    api: { requests: 9, mutations: 0, rate_limit_remaining: 4990 },
    warnings: [`${findings.length} integrity findings`],
    errors: [],
    scanned: { rest: 302, rest_issues: 257, graphql: 255, graphql_total: 256, repository_open: 180, project_items: 230, checked: 2 },
    comparison_complete: true,
    baseline: "previous",
    counts,
    findings,
    findings_omitted: 0,
    integrity: { malformed: [{ number: 103, reason: "label without a name" }] },
    fields: {
      main: {
        issues: 120,
        types: { Task: 5, Bug: 3, Feature: 3 },
        untyped: 109,
        sub_issues: { parents: 2, total: 7, completed: 3 },
        children: 4,
        blocked: 2,
        blocking: 1,
        blocked_issues: [141, 150],
        locked: 1,
      },
      dashboard: {
        issues: 30,
        types: {},
        untyped: 30,
        sub_issues: { parents: 0, total: 0, completed: 0 },
        children: 0,
        blocked: 0,
        blocking: 0,
        blocked_issues: [],
        locked: 0,
      },
    },
    managed: "98-177,178-200,283-300",
  };
}

/** The demo's dashboard.json with `telemetry` as its integrity component. */
function withIntegrity(telemetry) {
  const data = clone(demo);
  data.integrity = telemetry;
  return data;
}

describe("Integrity section in Chromium", () => {
  before(async () => {
    const response = await fetch(dashboardUrl() + "dashboard.json", { headers: { connection: "close" } });
    assert.equal(response.status, 200, "the served dashboard.json");
    demo = await response.json();
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
  });

  test("integrity: counts for every kind in groups, the remedy per kind and the issues, linked", async () => {
    const t = integrity(demo);
    const { page, problems } = await openDashboard(browser.context, { data: withIntegrity(t) });
    assertClean(problems);
    // every kind, in order, in its group, with its count
    const rows = await page.$$eval("#integrity-counts tbody tr[data-kind]", (trs) => trs.map((tr) => [tr.dataset.kind, tr.closest("tbody").dataset.group, tr.querySelector("td.num").textContent]));
    assert.deepEqual(rows, KINDS.map(([k, g]) => [k, g, String(t.counts[k])]));
    assert.deepEqual(await page.$$eval("#integrity-counts tbody", (bs) => bs.map((b) => b.dataset.group)), GROUPS);
    assert.deepEqual(await texts(page, "#integrity-counts .group-row th"), ["Visibility", "Shape", "Gone since last time", "Projects", "Labels"]);
    assert.equal((await page.textContent("#integrity-counts tr[data-kind=total] td.num")).trim(), String(t.findings.length));
    assert.equal((await page.textContent("#integrity-counts tr[data-kind=label_malformed] th")).trim(), "Malformed label", "human labels");
    // one block per kind present, in the telemetry's order, with its remedy
    const present = KINDS.map(([k]) => k).filter((k) => t.counts[k] > 0);
    assert.deepEqual(await page.$$eval("#integrity-findings .kind-block", (bs) => bs.map((b) => b.dataset.kind)), present);
    for (const k of present) {
      assert.equal((await page.textContent(`#integrity-findings .kind-block[data-kind=${k}] .remedy`)).trim(), "What to do: " + REMEDY[k], k);
    }
    assert.match(await page.textContent("#integrity-findings .kind-block[data-kind=label_malformed] h4"), /\(2\)/);
    // every finding listed; issue numbers link to the repository's issues
    for (const f of t.findings.filter((f) => f.number !== null)) {
      const li = page.locator(`#integrity-findings li.finding[data-kind=${f.kind}][data-number="${f.number}"]`);
      assert.equal(await li.count(), 1, `#${f.number} (${f.kind}) is listed`);
      assert.equal(await li.locator("a").first().getAttribute("href"), `${demo.web_url}/issues/${f.number}`);
      assert.match(await li.textContent(), new RegExp(f.detail));
    }
    assert.match(await page.textContent("#integrity-findings li.finding[data-kind=count_mismatch]"), /^\(no number\): REST open items 181/);
    const moved = page.locator("#integrity-findings li.finding[data-kind=transferred] .moved-to a");
    assert.equal(await moved.getAttribute("href"), "https://github.com/elsewhere/repo/issues/9");
    // what was scanned, the baseline, no notices
    for (const [key, value] of [["rest", "302"], ["graphql", "255"], ["repository_open", "180"], ["project_items", "230"], ["checked", "2"]]) {
      assert.match((await page.textContent(`#integrity-scanned .figure[data-key=${key}] dd`)).trim(), new RegExp("^" + value), key);
    }
    assert.match(await page.textContent("#integrity-scanned .figure[data-key=rest] dd"), /257 issues/);
    assert.match(await page.textContent("#integrity-scanned .figure[data-key=graphql] dd"), /totalCount 256/);
    assert.match(await page.textContent("#integrity-baseline"), /previous integrity scan/);
    assert.equal(await page.locator("#integrity-incomplete, #integrity-omitted").count(), 0);
    // the component card and the nav
    assert.equal((await page.textContent("#card-integrity .figure[data-key=findings] dd")).trim(), `${t.findings.length} findings`);
    assert.equal((await page.textContent("#card-integrity .component-status .badge-text")).trim(), "warning");
    assert.equal(await page.locator('nav a[href="#integrity"]').count(), 1);
    await page.close();
  });

  test("integrity: an incomplete comparison, omitted findings, a first scan and a clean run are explained", async () => {
    const t = integrity(demo);
    Object.assign(t, { comparison_complete: false, baseline: "gaps", findings_omitted: 12 });
    t.scanned.graphql = null;
    t.scanned.project_items = null;
    t.counts.deleted += 12;
    let { page, problems } = await openDashboard(browser.context, { data: withIntegrity(t) });
    assertClean(problems);
    assert.match(await page.textContent("#integrity-incomplete"), /the REST\/GraphQL comparison is incomplete/i);
    assert.match(await page.textContent("#integrity-omitted"), /12 more findings are not listed/);
    assert.match(await page.textContent("#integrity-findings-h"), /9 listed, 12 more not listed/);
    assert.equal((await page.textContent("#integrity-counts tr[data-kind=total] td.num")).trim(), "21");
    assert.match(await page.textContent("#integrity-findings .kind-block[data-kind=deleted] h4"), /\(13\)/);
    assert.match(await page.textContent("#integrity-baseline"), /First scan: .*gaps in the issue numbering/);
    assert.equal((await page.textContent("#integrity-scanned .figure[data-key=graphql] dd")).trim(), "not compared — its totalCount 256");
    assert.equal((await page.textContent("#integrity-scanned .figure[data-key=project_items] dd")).trim(), "not read");
    assert.equal((await page.textContent("#card-integrity .figure[data-key=comparison] dd")).trim(), "partial");
    await page.close();

    const clean = integrity(demo);
    Object.assign(clean, { status: "ok", warnings: [], findings: [] });
    for (const k of Object.keys(clean.counts)) clean.counts[k] = 0;
    ({ page, problems } = await openDashboard(browser.context, { data: withIntegrity(clean) }));
    assertClean(problems);
    assert.equal((await page.textContent("#card-integrity .figure[data-key=findings] dd")).trim(), "none");
    assert.match(await page.textContent("#integrity-findings"), /None: nothing out of order was found/);
    assert.equal(await page.locator("#integrity-counts tr.has-findings").count(), 0);
    await page.close();
  });

  test("integrity: issue fields per track (types, sub-issue progress, blocked issues linked)", async () => {
    const t = integrity(demo);
    const { page, problems } = await openDashboard(browser.context, { data: withIntegrity(t) });
    assertClean(problems);
    const main = "#fields-main";
    assert.match(await page.textContent(`${main} h3`), /Issue fields: Main track/);
    const types = await page.$$eval(`${main} table.types tbody tr`, (trs) => trs.map((tr) => [tr.querySelector("th").textContent, tr.querySelector("td").textContent]));
    assert.deepEqual(types, [["Task", "5"], ["Bug", "3"], ["Feature", "3"], ["No type", "109"]], "by count, then name, then the untyped");
    assert.equal(await page.getAttribute(`${main} .progress`, "data-completed"), "3");
    assert.equal(await page.getAttribute(`${main} .progress`, "data-total"), "7");
    assert.equal((await page.textContent(`${main} .progress-text`)).trim(), "3 of 7 sub-issues completed (43%), across 2 parent issues");
    assert.equal(await page.locator(`${main} .progress svg.hbar`).count(), 1);
    assert.deepEqual(
      await page.$$eval(`${main} .blocked a`, (as) => as.map((a) => a.getAttribute("href"))),
      t.fields.main.blocked_issues.map((n) => `${demo.web_url}/issues/${n}`),
    );
    assert.match(await page.textContent(`${main} h4:has-text("Blocked")`), /\(2\)/);
    for (const [key, value] of [["children", "4"], ["blocked", "2"], ["blocking", "1"], ["locked", "1"]]) {
      assert.match((await page.textContent(`${main} .figure[data-key=${key}] dd`)).trim(), new RegExp("^" + value), key);
    }
    assert.match(await page.textContent(main), /Open managed issues on this track: 120\./);
    const dash = "#fields-dashboard";
    assert.deepEqual(await texts(page, `${dash} table.types tbody tr`), ["No type30"]);
    assert.match(await page.textContent(dash), /No open issue on this track has sub-issues/);
    assert.equal(await page.locator(`${dash} .blocked a`).count(), 0);
    await page.close();
  });

  test("integrity: hostile values render as text, run nothing, request nothing off-origin and break no other section", async () => {
    const t = integrity(demo);
    const img = '<img src="https://evil.example/x.png" onerror="window.__codexPwned=1">';
    t.findings[0].detail = img;
    t.findings[5].moved_to = "javascript:window.__codexPwned=2";
    t.findings[6].moved_to = "https://user:pw@evil.example/issues/1";
    t.findings[1].number = "310";
    t.findings[2].number = { toString: 1 };
    t.findings[3].remedy = "x".repeat(200000);
    t.findings[4].kind = "<b>new_kind</b>";
    t.findings.push("not an object", null, 7, { kind: 5, number: -3, detail: ["a", "b"] });
    t.counts.deleted = "7";
    t.counts["<svg onload=alert(1)>"] = 2;
    t.scanned = { rest: "<img src=y onerror=window.__codexPwned=3>", graphql: {}, checked: 1e309 };
    t.baseline = "<script>window.__codexPwned=4</script>";
    t.findings_omitted = "lots";
    t.comparison_complete = "no";
    t.fields.main.types = { '<img src=z onerror="window.__codexPwned=5">': 2, Bug: "three", constructor: 1 };
    t.fields.main.sub_issues = { total: 4, completed: 9, parents: -1 };
    t.fields.main.blocked_issues = ["141", "javascript:alert(1)", 0, 152.5, 153];
    t.fields.dashboard = "not an object";
    const { page, problems } = await openDashboard(browser.context, { data: withIntegrity(t) });
    assertClean(problems);
    assert.match(await page.textContent("#integrity-findings li.finding[data-kind=rest_only]"), /<img src="https:\/\/evil\.example\/x\.png" onerror=/);
    assert.equal(await page.locator("img").count(), 0, "no img element was created");
    assert.equal(await page.locator("main script, main svg[onload]").count(), 0);
    assert.equal(await page.locator('a[href^="javascript:" i]').count(), 0);
    const hrefs = await page.$$eval("a[href]", (as) => as.map((a) => a.href));
    for (const href of hrefs) assert.match(href, /^(https:\/\/|http:\/\/127\.0\.0\.1[:/])/, `only https links (or the page's own): ${href}`);
    // moved_to that is not https, or carries credentials: text, not a link
    assert.equal(await page.locator("#integrity-findings li.finding[data-kind=transferred] .moved-to a").count(), 0);
    assert.match(await page.textContent("#integrity-findings li.finding[data-kind=transferred] .moved-to"), /javascript:window\.__codexPwned=2/);
    assert.equal(await page.locator("#integrity-findings li.finding[data-kind=deleted] .moved-to a").count(), 0);
    // a number given as a string is shown, not linked
    const graphqlOnly = page.locator("#integrity-findings li.finding[data-kind=graphql_only]");
    assert.match(await graphqlOnly.textContent(), /^#310: /);
    assert.equal(await graphqlOnly.locator("a").count(), 0);
    // a huge string is cut short
    const remedy = await page.textContent("#integrity-findings .kind-block[data-kind=label_malformed] .remedy");
    assert.ok(remedy.length < 1000, `the remedy is cut short: ${remedy.length} characters`);
    assert.match(remedy, /more characters\)$/);
    // an unknown kind is listed under its own name; a count that is not a number shows "—"
    assert.equal(await page.locator('#integrity-findings .kind-block[data-kind="<b>new_kind</b>"] li.finding').count(), 1);
    assert.equal((await page.textContent("#integrity-counts tr[data-kind=deleted] td.num")).trim(), "—");
    assert.match(await page.textContent("#integrity-counts tbody[data-group=other]"), /<svg onload=alert\(1\)>/);
    assert.match(await page.textContent("#integrity-baseline"), /<script>window\.__codexPwned=4<\/script>/);
    assert.equal((await page.textContent("#integrity-scanned .figure[data-key=rest] dd")).trim(), "—");
    assert.equal(await page.locator("#integrity-incomplete").count(), 0, "only false means incomplete");
    // fields: hostile names as text, non-numbers dropped, progress clamped, only real numbers linked
    assert.match(await page.textContent("#fields-main table.types"), /<img src=z onerror=/);
    assert.doesNotMatch(await page.textContent("#fields-main table.types"), /Bug/);
    assert.match(await page.textContent("#fields-main .progress-text"), /9 of 4 sub-issues completed \(100%\)/);
    assert.deepEqual(await page.$$eval("#fields-main .blocked a", (as) => as.map((a) => a.getAttribute("href"))), [`${demo.web_url}/issues/153`]);
    assert.match(await page.textContent("#fields-dashboard"), /Not reported/);
    // the other sections are intact
    assert.equal((await page.textContent("#card-sync .component-status .badge-text")).trim(), demo.sync.status);
    assert.ok((await page.locator("#sync-corrections tr[data-kind]").count()) > 0);
    assert.ok((await page.locator("#diagnostics li.check").count()) > 0);
    assert.equal(await page.locator(".notice-error").count(), 0, "no section or panel gave up");
    await page.waitForTimeout(200);
    assert.equal(await page.evaluate(() => window.__codexPwned), undefined, "no payload ran");
    await page.close();
  });

  test("integrity of the wrong type shows “No data yet” or a notice, never a broken page", async () => {
    for (const value of ["a string", 42, [], [{ kind: "deleted" }], { findings: "nope", counts: [], fields: [], scanned: "x" }]) {
      const { page, problems } = await openDashboard(browser.context, { data: withIntegrity(value) });
      assertClean(problems);
      assert.equal(await page.getAttribute("html", "data-rendered"), "true");
      assert.equal(await page.locator("main > section > h2").count(), 7, `every section rendered for ${JSON.stringify(value)}`);
      assert.equal(await page.locator(".notice-error").count(), 0, "no section or panel gave up");
      assert.ok((await page.locator("#sync-corrections tr[data-kind]").count()) > 0);
      await page.close();
    }
  });

  test("a dashboard.json without integrity (an older writer) still renders and says “No data yet”", async () => {
    const data = clone(demo);
    delete data.integrity;
    if (data.history) delete data.history.integrity;
    const { page, problems } = await openDashboard(browser.context, { data });
    assertClean(problems);
    assert.equal(await page.getAttribute("html", "data-rendered"), "true");
    assert.match(await page.textContent("#card-integrity"), /No data yet/);
    assert.match(await page.textContent("#integrity"), /No data yet: integrity has not reported/);
    assert.match(await page.textContent("#trend-integrity"), /No history yet/);
    assert.match(await page.textContent("#verdict"), /Integrity: no data yet/);
    assert.equal((await page.textContent("#card-sync .component-status .badge-text")).trim(), demo.sync.status);
    assert.ok((await page.locator("#track-main .figure").count()) > 0, "the tracks still render");
    await page.close();
  });

  test("integrity at phone width (375 px): nothing wider than the screen, even with long values", async () => {
    const t = integrity(demo);
    t.findings[0].detail = "a-very-long-unbroken-detail-".repeat(20);
    t.findings[5].moved_to = "https://github.com/elsewhere/" + "r".repeat(300) + "/issues/9";
    t.fields.main.types["A-type-name-with-no-spaces-at-all-".repeat(6)] = 1;
    t.fields.main.blocked_issues = Array.from({ length: 100 }, (_, i) => 1000 + i);
    t.fields.main.blocked = 100;
    const { page, problems } = await openDashboard(browser.context, { data: withIntegrity(t), width: 375, height: 800 });
    assertClean(problems);
    const w = await widths(page);
    assert.ok(w.doc <= 375, `page scrolls sideways: ${w.doc}px`);
    assert.ok(w.widest <= 375.5, `an element overflows: right edge at ${w.widest}px`);
    assert.ok(await page.isVisible("#integrity-counts"));
    assert.ok(await page.isVisible("#fields-main"));
    await page.close();
  });

  test("integrity from the demo: the section shows what its telemetry says", async (t) => {
    if (!demo.integrity) {
      t.skip("this build's codex demo does not run the integrity component");
      return;
    }
    const { page, problems } = await openDashboard(browser.context);
    assertClean(problems);
    const counts = demo.integrity.counts;
    for (const [kind] of KINDS) {
      assert.equal((await page.textContent(`#integrity-counts tr[data-kind=${kind}] td.num`)).trim(), String(counts[kind]), kind);
    }
    const listed = demo.integrity.findings.filter((f) => Number.isInteger(f.number) && f.number > 0);
    assert.equal(await page.locator("#integrity-findings li.finding a").count() >= listed.length, true, "every finding with a number is linked");
    await page.close();
  });
});
