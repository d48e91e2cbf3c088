// Launch Debian's Chromium through playwright-core (no browser download), with a fresh profile.
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require("playwright-core");

const EXECUTABLE = process.env.CHROMIUM || "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A browser context on a fresh --user-data-dir; `close()` removes the profile. */
async function launch(options = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "codex-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: EXECUTABLE,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
    ...options,
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The dashboard's base URL, from scripts/test-browser.sh. */
function dashboardUrl() {
  const url = process.env.DASHBOARD_URL;
  if (!url) {
    throw new Error("DASHBOARD_URL is not set: run the browser tests with `bash scripts/test-browser.sh`");
  }
  return url.endsWith("/") ? url : url + "/";
}

module.exports = { launch, dashboardUrl, EXECUTABLE, ARGS };
