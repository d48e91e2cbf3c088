// The dashboard in headless Chromium, over the data `codex demo` generated.
// Run by scripts/test-browser.sh, which runs the demo, serves the dashboard and sets DASHBOARD_URL.
"use strict";
const { describe, test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { launch, dashboardUrl } = require("./lib/browser");
const { openDashboard, texts, utc, assertClean, widths } = require("./lib/page");
const { dashboardSchemaErrors } = require("./lib/schema");

const COMPONENTS = ["selftest", "cleaner", "sync", "integrity", "supervisor", "activity", "diagnostics"];
const TRACKS = ["main", "dashboard"];

let browser;
let demo; // the served dashboard.json

const clone = (v) => JSON.parse(JSON.stringify(v));


describe("Codex dashboard in Chromium", () => {
  before(async () => {
    const response = await fetch(dashboardUrl() + "dashboard.json", { headers: { connection: "close" } });
    assert.equal(response.status, 200, "the served dashboard.json");
    demo = await response.json();
    assert.deepEqual(dashboardSchemaErrors(demo), [], "the served dashboard.json validates against docs/dashboard.schema.json");
    for (const key of COMPONENTS) assert.ok(demo[key], `the demo produced ${key} telemetry`);
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
  });

  test("loads with no console error, no failed request and nothing from another origin", async () => {
    const { page, problems } = await openDashboard(browser.context);
    assertClean(problems);
    assert.equal(await page.getAttribute("html", "data-rendered"), "true");
    await page.close();
  });

  test("header shows the repository, when the data was generated, and a verdict with its reason", async () => {
    const { page } = await openDashboard(browser.context);
    assert.equal((await page.textContent("h1")).trim(), demo.repo);
    assert.ok(demo.web_url.endsWith("/" + demo.repo), `web_url is the repository's page: ${demo.web_url}`);
    assert.equal(await page.getAttribute("h1 a", "href"), demo.web_url);
    assert.match(await page.textContent("#generated"), new RegExp("Generated " + utc(demo.generated_at)));
    const label = (await page.textContent(".verdict-label")).trim();
    const failing = TRACKS.some((t) => demo.supervisor.tracks[t].health === "failing") || COMPONENTS.some((k) => demo[k].status === "error");
    assert.equal(label, failing ? "Failing" : "Attention", "the demo has failing tracks or warnings");
    const reason = (await page.textContent(".verdict-reason")).trim();
    assert.ok(reason.length > 10, `a reason is given: ${reason}`);
    await page.close();
  });

  test("every component card shows its status from dashboard.json, when it ran, its freshness and warnings", async () => {
    const { page } = await openDashboard(browser.context);
    for (const key of COMPONENTS) {
      const t = demo[key];
      const card = `#card-${key}`;
      assert.equal((await page.textContent(`${card} .component-status .badge-text`)).trim(), t.status, `${key} status`);
      assert.equal(await page.getAttribute(`${card} .component-status`, "data-status"), t.status);
      assert.equal(await page.getAttribute(`${card} .when time`, "datetime"), new Date(t.finished_at).toISOString(), `${key} finished_at`);
      assert.equal(await page.locator(`${card} .flag-fresh`).count(), 1, `${key} is fresh`);
      assert.deepEqual(await texts(page, `${card} .msg-warning`), t.warnings.map((w) => "Warning: " + w), `${key} warnings`);
      assert.deepEqual(await texts(page, `${card} .msg-error`), t.errors.map((e) => "Error: " + e), `${key} errors`);
    }
    await page.close();
  });

  test("tracks: health, counts and deterioration match the supervisor's telemetry", async () => {
    const { page } = await openDashboard(browser.context);
    for (const track of TRACKS) {
      const t = demo.supervisor.tracks[track];
      const root = `#track-${track}`;
      assert.equal((await page.textContent(`${root} .track-health .badge-text`)).trim(), t.health);
      for (const key of ["open", "problems", "stale", "escalated", "missing_codex_label", "missing_milestone", "missing_track_label", "wrong_track"]) {
        assert.equal((await page.textContent(`${root} .figure[data-key=${key}] dd`)).trim(), String(t[key]), `${track} ${key}`);
      }
      const det = await page.textContent(`${root} .deterioration`);
      assert.match(det, t.deteriorating ? /Deteriorating/ : /Not deteriorating/);
    }
    await page.close();
  });

  test("tracks: the stale and escalated list matches activity, oldest first, linking to GitHub", async () => {
    const { page } = await openDashboard(browser.context);
    for (const track of TRACKS) {
      const expected = demo.activity[track].filter((i) => i.status !== "active");
      const shown = await page.$$eval(`#track-${track} li.issue`, (lis) =>
        lis.map((li) => ({
          number: Number(li.dataset.number),
          status: li.dataset.status,
          days: Number((li.querySelector(".days").textContent.match(/\d+/) || ["-1"])[0]),
          href: li.querySelector("a") && li.querySelector("a").getAttribute("href"),
          title: li.querySelector(".issue-title").textContent,
        })),
      );
      assert.equal(shown.length, expected.length, `${track}: every stale or escalated issue is listed`);
      assert.equal(shown.length, demo.activity.summary[track].stale + demo.activity.summary[track].escalation);
      const byNumber = new Map(expected.map((i) => [i.number, i]));
      for (const s of shown) {
        const item = byNumber.get(s.number);
        assert.ok(item, `${track}: #${s.number} is in activity telemetry`);
        assert.equal(s.status, item.status);
        assert.equal(s.title, item.title);
        assert.equal(s.days, item.days_inactive);
        assert.equal(s.href, item.url);
        assert.ok(s.href.startsWith(demo.web_url + "/issues/"), `on the repository's server: ${s.href}`);
      }
      for (let i = 1; i < shown.length; i++) {
        assert.ok(shown[i - 1].days >= shown[i].days, `${track}: oldest first (#${shown[i - 1].number} before #${shown[i].number})`);
      }
      assert.match(await page.textContent(`#track-${track} h4`), new RegExp(`\\(${expected.length}\\), oldest first`));
    }
    await page.close();
  });

  test("sync: corrections by kind, issues touched and the items it skipped match", async () => {
    const { page } = await openDashboard(browser.context);
    const sync = demo.sync;
    let total = 0;
    for (const [kind, value] of Object.entries(sync.corrections)) {
      assert.equal((await page.textContent(`#sync-corrections tr[data-kind=${kind}] td.num`)).trim(), String(value), kind);
      total += value;
    }
    assert.equal((await page.textContent("#sync-corrections tr[data-kind=total] td.num")).trim(), String(total));
    assert.deepEqual(
      await page.$$eval("#sync-touched li", (lis) => lis.map((li) => Number(li.dataset.number))),
      sync.details.map((d) => d.number),
    );
    const skipped = await texts(page, "#sync-skipped li.finding");
    assert.deepEqual(skipped, sync.integrity.malformed.map((m) => (m.number == null ? "(no number)" : "#" + m.number) + ": " + m.reason));
    assert.equal((await page.textContent("#sync-skipped-h")).trim(), `Items sync could not use (${sync.integrity.malformed.length})`);
    assert.equal(await page.getAttribute("#sync-skipped .pointer a", "href"), "#integrity", "points to the Integrity section");
    await page.close();
  });

  test("cleaner, self-test and diagnostics show what their telemetry says", async () => {
    const { page } = await openDashboard(browser.context);
    const { cleaner, selftest, diagnostics } = demo;
    assert.equal((await page.textContent("#cleaner .figure[data-key=candidates] dd")).trim(), String(cleaner.candidates));
    assert.equal(await page.locator("#cleaner .figure[data-key=closed] a").count(), cleaner.issues_closed.length);
    assert.equal(await page.getAttribute("#selftest .figure[data-key=issue] a", "href"), selftest.issue_url);
    assert.match(await page.textContent("#selftest .figure[data-key=verified]"), selftest.verified ? /yes/ : /no/);
    assert.deepEqual(await texts(page, "#selftest .chip"), selftest.token.scopes);
    assert.deepEqual(
      await page.$$eval("#selftest [data-permission]", (lis) => lis.map((li) => li.dataset.permission)).then((x) => x.sort()),
      Object.keys(selftest.token.permissions).sort(),
    );
    assert.equal(await page.locator("#diagnostics li.check").count(), diagnostics.checks.length);
    assert.equal(await page.locator('#diagnostics li.check[data-ok="false"]').count(), diagnostics.checks.filter((c) => !c.ok).length);
    assert.deepEqual((await texts(page, "#diagnostics .check-name")).sort(), diagnostics.checks.map((c) => c.name).sort());
    await page.close();
  });

  test("trends: inline SVG charts built from history", async () => {
    const data = clone(demo);
    const base = Date.parse(demo.generated_at);
    const runs = [5, 4, 3, 2, 1].map((h, i) => ({ run_id: "r" + i, finished_at: new Date(base - h * 3600e3).toISOString() }));
    data.history.activity = runs.map((r, i) => ({ ...r, status: "warning", figures: { main_stale: 10 + i, main_escalated: 20 - i, dashboard_stale: i, dashboard_escalated: 2 * i } }));
    data.history.sync = runs.map((r, i) => ({ ...r, status: i === 2 ? "error" : "ok", figures: { corrections: 100 - 10 * i, scanned: 200, malformed: 1 } }));
    data.history.integrity = runs.map((r, i) => ({ ...r, status: i ? "warning" : "ok", figures: { findings: 3 * i, visibility: i, gone: 4 - i } }));
    const { page, problems } = await openDashboard(browser.context, { data });
    assertClean(problems);
    assert.equal(await page.locator("#trends svg[role=img]").count(), 6);
    for (const track of TRACKS) {
      assert.equal(await page.locator(`#trend-${track} polyline`).count(), 2, `${track}: stale and escalated lines`);
      assert.equal(await page.locator(`#trend-${track} circle.dot`).count(), 10);
    }
    assert.match(await page.getAttribute("#trend-main svg", "aria-label"), /stale 14, escalated 16/);
    assert.equal(await page.locator("#trend-corrections rect.bar").count(), 5);
    assert.equal(await page.locator("#trend-integrity rect.bar").count(), 5);
    assert.match(await page.getAttribute("#trend-integrity svg", "aria-label"), /Findings per integrity run: latest run 12 /);
    assert.match(await page.getAttribute("#trend-integrity-kinds svg", "aria-label"), /REST\/GraphQL differences 4, gone 0/);
    assert.equal(await page.locator("#trend-status svg[role=img] .glyph-error").count(), 1, "the sync run that failed");
    const glyphs = COMPONENTS.reduce((n, k) => n + Math.min(24, data.history[k].length), 0);
    assert.equal(await page.locator("#trend-status svg[role=img] .glyph").count(), glyphs);
    await page.close();
  });

  test("a track the supervisor could not assess shows unknown, with no counts", async () => {
    const data = clone(demo);
    for (const track of TRACKS) {
      data.supervisor.tracks[track] = { ...data.supervisor.tracks[track], health: "unknown", open: 0, problems: 0, stale: 0, escalated: 0, deteriorating: false, previous_problems: 4 };
    }
    data.activity = { ...data.activity, main: [], dashboard: [], unknown: true };
    const { page, problems } = await openDashboard(browser.context, { data });
    assertClean(problems);
    for (const track of TRACKS) {
      const root = `#track-${track}`;
      assert.equal((await page.textContent(`${root} .track-health .badge-text`)).trim(), "unknown");
      assert.equal(await page.locator(`${root} .track-health .badge-unknown`).count(), 1);
      assert.equal(await page.locator(`${root} .figure`).count(), 0, "no zeros shown as counts");
      assert.match(await page.textContent(root), /Not assessed/);
      assert.match(await page.textContent(root), /could not list the issues/);
    }
    assert.match(await page.textContent("#verdict"), /Main track unknown/);
    await page.close();
  });

  test("a component set to null shows “No data yet”, and the rest still renders", async () => {
    const data = clone(demo);
    data.selftest = null;
    data.activity = null;
    const { page, problems } = await openDashboard(browser.context, { data });
    assertClean(problems);
    assert.match(await page.textContent("#card-selftest"), /No data yet/);
    assert.match(await page.textContent("#card-activity"), /No data yet/);
    assert.match(await page.textContent("#selftest"), /No data yet/);
    assert.match(await page.textContent("#track-main"), /No data yet/);
    assert.equal((await page.textContent("#card-sync .component-status .badge-text")).trim(), demo.sync.status);
    assert.match(await page.textContent("#verdict"), /Self-test: no data yet/);
    await page.close();
  });

  test("with no telemetry at all every section says “No data yet”", async () => {
    const data = { generated_at: demo.generated_at, repo: demo.repo, supervisor: null, cleaner: null, selftest: null, sync: null, activity: null, diagnostics: null, history: {}, stale_components: [], warnings: [] };
    const { page, problems } = await openDashboard(browser.context, { data });
    assertClean(problems);
    assert.equal((await page.textContent(".verdict-label")).trim(), "No data yet");
    for (const key of COMPONENTS) assert.match(await page.textContent(`#card-${key}`), /No data yet/, key);
    for (const id of ["tracks", "sync", "integrity", "upkeep", "diagnostics", "trends"]) {
      assert.match(await page.textContent(`#${id}`), /No data yet|No history yet/, id);
    }
    await page.close();
  });

  test("links are on the repository's own server (web_url), github.com when dashboard.json has none", async () => {
    const links = (page) => page.$$eval("h1 a, #sync a:not([href^='#']), #upkeep a, #tracks a", (as) => as.map((a) => a.getAttribute("href")));
    const ghes = clone(demo);
    ghes.web_url = `https://ghe.example.com/${demo.repo}`;
    for (const track of TRACKS) for (const item of ghes.activity[track]) item.url = `https://ghe.example.com/${demo.repo}/issues/${item.number}`;
    ghes.selftest.issue_url = `https://ghe.example.com/${demo.repo}/issues/${ghes.selftest.issue_number}`;
    let { page, problems } = await openDashboard(browser.context, { data: ghes });
    assertClean(problems);
    assert.equal(await page.getAttribute("h1 a", "href"), ghes.web_url);
    let hrefs = await links(page);
    assert.ok(hrefs.length > 3, `links were drawn: ${hrefs.length}`);
    for (const href of hrefs) assert.ok(href.startsWith(ghes.web_url), `on the GHES host: ${href}`);
    assert.ok(hrefs.includes(`${ghes.web_url}/issues/${ghes.sync.details[0].number}`), "sync's issues link on web_url");
    await page.close();

    // a server on plain http (the sandbox): its own links are links, another http host's are not
    const http = clone(ghes);
    http.web_url = `http://127.0.0.1:9/${demo.repo}`;
    for (const track of TRACKS) for (const item of http.activity[track]) item.url = `http://127.0.0.1:9/${demo.repo}/issues/${item.number}`;
    http.selftest.issue_url = `http://127.0.0.1:9/${demo.repo}/issues/${http.selftest.issue_number}`;
    const odd = http.activity.main.find((i) => i.status !== "active");
    odd.url = `http://127.0.0.2:9/${demo.repo}/issues/${odd.number}`;
    ({ page, problems } = await openDashboard(browser.context, { data: http }));
    assertClean(problems);
    hrefs = await links(page);
    for (const href of hrefs) assert.ok(href.startsWith(http.web_url), `on the http server: ${href}`);
    assert.equal(await page.locator(`#track-main li.issue[data-number="${odd.number}"] a`).count(), 0, "another http host is not a link");
    await page.close();

    // an older dashboard.json, without web_url: github.com, as before
    const old = clone(demo);
    delete old.web_url;
    ({ page, problems } = await openDashboard(browser.context, { data: old }));
    assertClean(problems);
    assert.equal(await page.getAttribute("h1 a", "href"), `https://github.com/${demo.repo}`);
    assert.equal(await page.getAttribute(`#sync-touched li[data-number="${old.sync.details[0].number}"] a`, "href"), `https://github.com/${demo.repo}/issues/${old.sync.details[0].number}`);
    await page.close();
  });

  test("hostile titles and URLs appear as plain text and run nothing", async () => {
    const data = clone(demo);
    const img = '<img src=x onerror="window.__codexPwned=1">';
    const js = "javascript:window.__codexPwned=2";
    const first = data.activity.main.find((i) => i.status !== "active");
    Object.assign(first, { title: img, url: js, days_inactive: 9999, status: "escalation" });
    const second = data.activity.main.find((i) => i.status !== "active" && i !== first);
    Object.assign(second, { title: js, url: "JaVaScRiPt:window.__codexPwned=3", days_inactive: 9998, status: "escalation" });
    data.sync.integrity.malformed = [{ number: null, reason: '<script>window.__codexPwned=4</script><a href="javascript:x">x</a>' }];
    data.diagnostics.checks[0].detail = '<svg onload="window.__codexPwned=5">';
    data.supervisor.warnings.push('<img src=y onerror="window.__codexPwned=6">');
    data.selftest.issue_url = "javascript:window.__codexPwned=7";
    const { page, problems } = await openDashboard(browser.context, { data });
    assertClean(problems);
    const items = page.locator("#track-main li.issue");
    assert.equal((await items.nth(0).locator(".issue-title").textContent()), img, "the title is shown as written");
    assert.equal((await items.nth(1).locator(".issue-title").textContent()), js);
    assert.equal(await items.nth(0).locator("a").count(), 0, "a javascript: URL is not a link");
    assert.equal(await items.nth(1).locator("a").count(), 0);
    assert.equal(await page.locator("#selftest .figure[data-key=issue] a").count(), 0);
    assert.match(await page.textContent("#sync-skipped"), /<script>window\.__codexPwned=4<\/script>/);
    assert.match(await page.textContent("#diagnostics"), /<svg onload=/);
    assert.match(await page.textContent("#card-supervisor"), /<img src=y onerror=/);
    assert.equal(await page.locator("img").count(), 0, "no img element was created");
    assert.equal(await page.locator("main script, main svg[onload]").count(), 0);
    assert.equal(await page.locator('a[href^="javascript:" i]').count(), 0);
    const hrefs = await page.$$eval("a[href]", (as) => as.map((a) => a.href));
    for (const href of hrefs) assert.match(href, /^(https:\/\/|http:\/\/127\.0\.0\.1[:/])/, `only https links (or the page's own): ${href}`);
    await page.waitForTimeout(200);
    assert.equal(await page.evaluate(() => window.__codexPwned), undefined, "no payload ran");
    assert.ok(!problems.requests.some((u) => /\/(x|y)$/.test(u)), "no request for the payload's image");
    await page.close();
  });

  test("the Content-Security-Policy forbids inline and remote script", async () => {
    const { page } = await openDashboard(browser.context);
    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', "content");
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    const blocked = await page.evaluate(
      () =>
        new Promise((resolve) => {
          document.addEventListener("securitypolicyviolation", (e) => resolve(e.violatedDirective), { once: true });
          const s = document.createElement("script");
          s.textContent = "window.__inlineRan = true";
          document.body.appendChild(s);
          setTimeout(() => resolve("no violation reported"), 1000);
        }),
    );
    assert.match(blocked, /script-src/);
    assert.equal(await page.evaluate(() => window.__inlineRan), undefined);
    await page.close();
  });

  test("telemetry older than 12 hours is flagged stale, and stale components and merge warnings are shown", async () => {
    const data = clone(demo);
    data.supervisor.finished_at = new Date(Date.now() - 13 * 3600e3).toISOString();
    data.stale_components = ["sync"];
    data.warnings = ["skipped telemetry/sync-9.json: not valid JSON", "no valid sync telemetry: showing the previous data"];
    const { page, problems } = await openDashboard(browser.context, { data });
    assertClean(problems);
    assert.match(await page.textContent("#card-supervisor .flag-stale"), /stale: older than 12 h/);
    assert.equal(await page.locator("#card-activity .flag-stale").count(), 0);
    assert.match(await page.textContent("#verdict"), /Supervisor telemetry is stale \(last run 13 h ago\)/);
    assert.match(await page.textContent("#stale-components"), /sync/);
    assert.match(await page.textContent("#card-sync .flag-earlier"), /earlier merge/);
    assert.deepEqual(await texts(page, "#merge-warnings li"), data.warnings);
    await page.close();
  });

  test("readable at phone width (375 px): nothing wider than the screen", async () => {
    const { page, problems } = await openDashboard(browser.context, { width: 375, height: 800 });
    assertClean(problems);
    const w = await widths(page);
    assert.ok(w.doc <= 375, `page scrolls sideways: ${w.doc}px`);
    assert.ok(w.widest <= 375.5, `an element overflows: right edge at ${w.widest}px`);
    assert.ok(await page.isVisible("#verdict"));
    assert.ok(await page.isVisible("#card-diagnostics"));
    await page.close();
  });

  test("dark mode follows prefers-color-scheme", async () => {
    const lum = async (scheme) => {
      const { page } = await openDashboard(browser.context, { colorScheme: scheme });
      const rgb = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      await page.close();
      const [r, g, b] = rgb.match(/\d+/g).map(Number);
      return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
    };
    assert.ok((await lum("light")) > 0.8, "light background");
    assert.ok((await lum("dark")) < 0.2, "dark background");
  });

  test("landmarks, headings and keyboard: skip link first, every link reachable", async () => {
    const { page } = await openDashboard(browser.context);
    for (const sel of ["header", "nav", "main", "footer"]) assert.equal(await page.locator(sel).count() >= 1, true, sel);
    assert.equal(await page.locator("h1").count(), 1);
    assert.deepEqual(await texts(page, "main > section > h2"), ["Components", "Tracks", "Sync", "Integrity", "Cleaner and self-test", "Diagnostics", "Trends"]);
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to the dashboard");
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate(() => document.activeElement.id), "main");
    // Tab through the page: every link and disclosure takes focus.
    const focusable = await page.locator("a[href]:visible, summary:visible").count();
    const seen = new Set();
    for (let i = 0; i < focusable + 5; i++) {
      await page.keyboard.press("Tab");
      seen.add(await page.evaluate(() => {
        const e = document.activeElement;
        return e.tagName + ":" + (e.getAttribute("href") || e.textContent.slice(0, 40)) + ":" + [...e.parentNode.children].indexOf(e) + ":" + (e.closest("[id]") || {}).id;
      }));
    }
    assert.ok(seen.size >= focusable - 12, `keyboard reached ${seen.size} of ${focusable} links and disclosures`);
    const details = page.locator("#track-main details.more");
    await details.locator("summary").focus();
    await page.keyboard.press("Enter");
    assert.equal(await details.getAttribute("open"), "", "Enter opens the rest of the list");
    await page.close();
  });

  test("an unreadable dashboard.json shows a message, not a blank page", async () => {
    const { page } = await openDashboard(browser.context, { data: "{ not json", status: 200 });
    assert.equal(await page.getAttribute("html", "data-rendered"), "error");
    assert.match(await page.textContent("#verdict"), /Could not load the data/);
    assert.ok(await page.isVisible("#load-error"));
    await page.close();
  });
});

describe("codex demo --serve", { skip: process.env.DASHBOARD_SERVER !== "codex" && "the dashboard is not served by codex demo --serve" }, () => {
  test("serves the dashboard files and nothing else", async () => {
    const base = dashboardUrl();
    // Every body is read, so no connection is left open when the test ends.
    const get = async (path, init) => {
      const r = await fetch(base + path, { ...init, headers: { connection: "close" } });
      await r.arrayBuffer();
      return r;
    };
    for (const [path, type] of [["", "text/html"], ["dom.js", "text/javascript"], ["app.js", "text/javascript"], ["styles.css", "text/css"], ["dashboard.json", "application/json"]]) {
      const r = await get(path);
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get("content-type"), new RegExp(type));
    }
    for (const path of ["../telemetry/", "..%2fCargo.toml", "Cargo.toml", "telemetry"]) {
      assert.equal((await get(path)).status, 404, path);
    }
    assert.equal((await get("app.js", { method: "POST" })).status, 405);
  });
});
