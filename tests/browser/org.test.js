// The organisation overview (docs/dashboard/org.html) in headless Chromium, over generated
// federation.json files. Run by scripts/test-browser.sh, like dashboard.test.js: the page, its
// script and stylesheet are the checked-in files, answered on the served dashboard's origin (the
// shared styles.css is the served one), and federation.json is generated here.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { describe, test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { launch, dashboardUrl } = require("./lib/browser");
const { federationSchemaErrors } = require("./lib/schema");
const { assertClean } = require("./lib/page");

const DOCS = path.join(__dirname, "..", "..", "docs", "dashboard");
const FILES = {
  "org.html": "text/html; charset=utf-8",
  "dom.js": "text/javascript; charset=utf-8",
  "org.js": "text/javascript; charset=utf-8",
  "org.css": "text/css; charset=utf-8",
};
const NOW = Date.now();
const iso = (msAgo) => new Date(NOW - msAgo).toISOString().replace(/\.\d+Z$/, "Z");
const OVERALLS = ["ok", "attention", "failing", "nodata"];
const HEALTHS = ["healthy", "degraded", "failing", "unknown"];

/** A valid row of federation.json for repository number `i`. */
function row(i, overrides = {}) {
  const repo = `acme/repo-${String(i).padStart(3, "0")}`;
  const overall = OVERALLS[i % 4];
  const nodata = overall === "nodata";
  const track = (k) => ({
    health: nodata ? null : HEALTHS[(i + k) % 4],
    open: (i * 7 + k) % 50,
    stale: (i + k) % 5,
    escalated: (i + k) % 3,
    problems: i % 4,
  });
  const ageSeconds = (i % 24) * 3600 + 60;
  return {
    repo,
    web_url: `https://github.com/${repo}`,
    dashboard: `${repo}/dashboard/`,
    overall,
    reasons: overall === "ok" ? [] : [`reason for ${repo}`],
    tracks: { main: track(0), dashboard: track(1) },
    corrections: nodata ? null : i % 9,
    warnings: i % 4,
    errors: overall === "failing" ? 1 + (i % 3) : 0,
    last_run: nodata ? null : iso(ageSeconds * 1000),
    age_seconds: nodata ? null : ageSeconds,
    fresh: !nodata && ageSeconds <= 12 * 3600,
    trend: nodata ? [] : [3, 2, i % 6, 1, i % 4].map((attention, k) => ({ finished_at: iso((5 - k) * 3600e3), status: "ok", attention })),
    ...overrides,
  };
}

function federation(rows, extra = {}) {
  const count = (k) => rows.filter((r) => r.overall === k).length;
  return {
    schema_version: 1,
    generated_at: iso(60e3),
    totals: { repositories: rows.length, ok: count("ok"), attention: count("attention"), failing: count("failing"), nodata: count("nodata") },
    repositories: rows,
    pending: [],
    warnings: [],
    ...extra,
  };
}

const many = (n) => federation(Array.from({ length: n }, (_, i) => row(i)));

let browser;

/** Open org.html with `data` as its federation.json; resolves once org.js has rendered. */
async function openOrg(data, { width = 1280, height = 900 } = {}) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width, height });
  const problems = { console: [], pageErrors: [], failed: [], badStatus: [], requests: [] };
  page.on("console", (m) => {
    if (m.type() === "error") problems.console.push(m.text());
  });
  page.on("pageerror", (e) => problems.pageErrors.push(e.message));
  page.on("requestfailed", (r) => problems.failed.push(r.url() + " " + (r.failure() || {}).errorText));
  page.on("request", (r) => problems.requests.push(r.url()));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.badStatus.push(r.status() + " " + r.url());
  });
  for (const [name, type] of Object.entries(FILES)) {
    await page.route(`**/${name}`, (route) => route.fulfill({ status: 200, contentType: type, body: fs.readFileSync(path.join(DOCS, name)) }));
  }
  await page.route("**/federation.json", (route) => route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(data) }));
  await page.goto(dashboardUrl() + "org.html");
  await page.waitForSelector("html[data-rendered]", { timeout: 10000 });
  return { page, problems };
}


const visibleNames = (page) => page.$$eval("#repos tbody tr:not([hidden]) .org-name", (els) => els.map((e) => e.textContent));

describe("Codex organisation overview in Chromium", () => {
  before(async () => {
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
  });

  test("the generated fixture validates against docs/federation.schema.json", () => {
    assert.deepEqual(federationSchemaErrors(many(300)), []);
    assert.deepEqual(federationSchemaErrors(hostile()), []);
  });

  test("300 repositories: 300 rows, each linking to its dashboard, nothing from another origin", async () => {
    const data = many(300);
    const { page, problems } = await openOrg(data);
    assertClean(problems);
    assert.equal(await page.locator("#repos tbody tr").count(), 300);
    assert.equal(await page.textContent("#shown"), "Showing 300 of 300 repositories");
    const link = page.locator("#repos tbody tr", { hasText: "acme/repo-006" }).locator("a.org-link");
    assert.equal(await link.getAttribute("href"), "acme/repo-006/dashboard/");
    const r = data.repositories[6];
    const cells = page.locator("#repos tbody tr", { hasText: "acme/repo-006" });
    assert.equal((await cells.locator(".org-overall .badge-text").textContent()).trim(), "Failing");
    assert.equal((await cells.locator(".org-errors").textContent()).trim(), String(r.errors));
    assert.equal((await cells.locator(".org-warnings").textContent()).trim(), String(r.warnings));
    assert.equal((await cells.locator(".org-corrections").textContent()).trim(), String(r.corrections));
    assert.match(await cells.locator(".org-track").first().textContent(), new RegExp(`${r.tracks.main.open} open · ${r.tracks.main.stale} stale · ${r.tracks.main.escalated} escalated`));
    assert.equal(await cells.locator(".org-trend-values").textContent(), r.trend.map((p) => p.attention).join(" "));
    assert.equal(await cells.locator(".org-when time").getAttribute("datetime"), new Date(r.last_run).toISOString());
    assert.match(await page.textContent(".verdict-reason"), /300 repositories, 75 all well, 75 attention, 75 failing, 75 without data/);
    await page.close();
  });

  test("sorting: by clicking a heading, then again to reverse, and with the keyboard", async () => {
    const { page, problems } = await openOrg(many(40));
    const names = Array.from({ length: 40 }, (_, i) => `acme/repo-${String(i).padStart(3, "0")}`);
    // default: worst first
    const first = await page.$$eval("#repos tbody tr", (els) => els.slice(0, 10).map((e) => e.getAttribute("data-overall")));
    assert.deepEqual(first, Array(10).fill("failing"));
    await page.click('button[data-sort="repo"]');
    assert.deepEqual(await visibleNames(page), names);
    assert.equal(await page.getAttribute('th:has(button[data-sort="repo"])', "aria-sort"), "ascending");
    await page.click('button[data-sort="repo"]');
    assert.deepEqual(await visibleNames(page), [...names].reverse());
    assert.equal(await page.getAttribute('th:has(button[data-sort="repo"])', "aria-sort"), "descending");
    await page.focus('button[data-sort="errors"]');
    await page.keyboard.press("Enter");
    const errors = await page.$$eval("#repos tbody tr .org-errors", (els) => els.map((e) => Number(e.textContent)));
    assert.deepEqual(errors, [...errors].sort((a, b) => b - a), "most errors first");
    assert.ok(errors[0] > 0);
    assert.equal(await page.getAttribute('th:has(button[data-sort="repo"])', "aria-sort"), null);
    assertClean(problems);
    await page.close();
  });

  test("filtering: by text, and only the repositories with problems", async () => {
    const { page, problems } = await openOrg(many(300));
    await page.fill("#filter", "repo-12");
    assert.deepEqual((await visibleNames(page)).sort(), Array.from({ length: 10 }, (_, i) => `acme/repo-12${i}`));
    assert.equal(await page.textContent("#shown"), "Showing 10 of 300 repositories");
    await page.fill("#filter", "");
    await page.check("#only-problems");
    const overalls = await page.$$eval("#repos tbody tr:not([hidden])", (els) => els.map((e) => e.getAttribute("data-overall")));
    assert.equal(overalls.length, 225);
    assert.ok(!overalls.includes("ok"));
    await page.fill("#filter", "no match at all");
    assert.equal(await page.isVisible("#org-empty"), true);
    await page.uncheck("#only-problems");
    await page.fill("#filter", "ACME/REPO-299");
    assert.deepEqual(await visibleNames(page), ["acme/repo-299"], "case-insensitive");
    assertClean(problems);
    await page.close();
  });

  function hostile() {
    const rows = [
      row(1, { repo: '<img src=x onerror="window.__codexPwned=1">/x', web_url: "javascript:window.__codexPwned=2", dashboard: "javascript:window.__codexPwned=3", reasons: ['<script>window.__codexPwned=4</script><a href="javascript:x">x</a>'] }),
      row(2, { repo: "acme/" + "very-long-name-".repeat(40), web_url: "https://user:pw@github.com/acme/x" }),
      row(3, { repo: "acme/\u202egnp.exe\u0007\u0000", web_url: "http://github.com/acme/plain-http", reasons: ["\u202eRTL reason\u0008"] }),
      row(4, { repo: "../../evil", web_url: null, dashboard: "../../evil/dashboard/" }),
      row(5, { repo: "acme/fine", web_url: "https://github.com/acme/fine" }),
    ];
    return federation(rows, { pending: ["<b>acme/later</b>"], warnings: ['<img src=x onerror="window.__codexPwned=5">: dashboard.json not used'] });
  }

  test("hostile names, URLs and reasons are shown as text and never become markup or links", async () => {
    const data = hostile();
    const { page, problems } = await openOrg(data);
    assertClean(problems);
    assert.equal(await page.evaluate(() => window.__codexPwned), undefined, "no injected script ran");
    assert.equal(await page.locator("#repos img, #repos script, main img, main script, main b").count(), 0, "no injected element");
    const names = await page.$$eval("#repos tbody .org-name", (els) => els.map((e) => e.textContent));
    assert.deepEqual([...names].sort(), data.repositories.map((r) => r.repo).sort(), "every name as text, as given");
    assert.equal(await page.locator('a[href^="javascript:" i]').count(), 0);
    const hrefs = await page.$$eval("a[href]", (els) => els.map((e) => e.getAttribute("href")));
    const allowed = new Set(["#main", "federation.json", "acme/fine/dashboard/", "https://github.com/acme/fine", "acme/very-long-name-".concat("very-long-name-".repeat(39), "/dashboard/")]);
    for (const href of hrefs) assert.ok(allowed.has(href), `unexpected link ${href}`);
    for (const bad of ["acme/very-long-name-", "../../evil", "<img"]) {
      const r = page.locator("#repos tbody tr", { hasText: bad }).first();
      if (bad !== "acme/very-long-name-") assert.equal(await r.locator("a").count(), 0, `${bad}: no link`);
    }
    assert.match(await page.textContent("#pending"), /<b>acme\/later<\/b>/);
    assert.match(await page.textContent("#org-warnings"), /<img src=x onerror=/);
    assert.match(await page.textContent("#repos"), /<script>window.__codexPwned=4<\/script>/);
    await page.close();
  });

  test("readable at phone width (375 px) with 300 repositories and hostile ones: nothing wider than the screen", async () => {
    for (const data of [many(300), hostile()]) {
      const { page, problems } = await openOrg(data, { width: 375, height: 800 });
      assertClean(problems);
      const widths = await page.evaluate(() => ({
        doc: document.documentElement.scrollWidth,
        widest: Math.max(...[...document.querySelectorAll("body *")].filter((e) => !e.closest(".visually-hidden, .skip-link")).map((e) => e.getBoundingClientRect().right)),
      }));
      assert.ok(widths.doc <= 375, `page scrolls sideways: ${widths.doc}px`);
      assert.ok(widths.widest <= 375.5, `an element overflows: right edge at ${widths.widest}px`);
      assert.ok(await page.isVisible('button[data-sort="repo"]'), "sorting is reachable on a phone");
      await page.close();
    }
  });

  test("a federation.json that cannot be read says so", async () => {
    const { page } = await openOrg("not json");
    assert.equal(await page.getAttribute("html", "data-rendered"), "error");
    assert.match(await page.textContent("#load-error"), /federation/i);
    await page.close();
  });
});
