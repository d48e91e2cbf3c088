// Open the dashboard in a fresh page, recording what a person would notice went wrong.
"use strict";
const assert = require("node:assert/strict");
const { dashboardUrl } = require("./browser");

/**
 * Open the dashboard. `data` replaces dashboard.json for this page (the page itself, its script
 * and its stylesheet are still the served ones); `pieces` maps a piece's file name under
 * details/ to what it answers ({ status, body }; body an object or a string), any other piece
 * answering 404. Resolves once app.js has rendered.
 */
async function openDashboard(context, { data, width = 1280, height = 900, colorScheme = "light", status, pieces } = {}) {
  const page = await context.newPage();
  await page.setViewportSize({ width, height });
  await page.emulateMedia({ colorScheme });
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
  if (data !== undefined || status !== undefined) {
    await page.route("**/dashboard.json", (route) =>
      route.fulfill({
        status: status || 200,
        contentType: "application/json",
        body: typeof data === "string" ? data : JSON.stringify(data),
      }),
    );
  }
  if (pieces !== undefined) {
    await page.route("**/details/*.json", (route) => {
      const name = new URL(route.request().url()).pathname.split("/").pop();
      const piece = pieces[name] || { status: 404, body: "not found" };
      route.fulfill({
        status: piece.status || 200,
        contentType: "application/json",
        body: typeof piece.body === "string" ? piece.body : JSON.stringify(piece.body),
      });
    });
  }
  await page.goto(dashboardUrl());
  await page.waitForSelector("html[data-rendered]", { timeout: 10000 });
  return { page, problems };
}

/** Text of every element matching `selector`, trimmed. */
function texts(page, selector) {
  return page.$$eval(selector, (els) => els.map((e) => e.textContent.trim()));
}

/** The time format the page uses: `2026-11-23 10:00 UTC`. */
function utc(iso) {
  const d = new Date(iso);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())} UTC`;
}

/** Nothing a person would notice went wrong: no page error, console error, failed or off-origin request. */
function assertClean(problems) {
  assert.deepEqual(problems.pageErrors, [], "uncaught errors in the page");
  assert.deepEqual(problems.console, [], "console errors");
  assert.deepEqual(problems.failed, [], "failed requests");
  assert.deepEqual(problems.badStatus, [], "HTTP errors");
  const origin = new URL(dashboardUrl()).origin;
  for (const url of problems.requests) {
    assert.ok(url.startsWith(origin + "/") || url.startsWith("data:"), `request to another origin: ${url}`);
  }
}

/** How far the page reaches sideways: the document's scroll width and the widest element's right edge. */
function widths(page) {
  return page.evaluate(() => ({
    doc: document.documentElement.scrollWidth,
    widest: Math.max(...[...document.querySelectorAll("main *")].map((e) => e.getBoundingClientRect().right)),
  }));
}

module.exports = { openDashboard, texts, utc, assertClean, widths };
