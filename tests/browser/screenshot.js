// Full-page screenshot of the dashboard at 1280 px: node screenshot.js <out.png> [light|dark]
// (scripts/screenshot-dashboard.sh sets DASHBOARD_URL).
"use strict";
const { launch, dashboardUrl } = require("./lib/browser");

(async () => {
  const out = process.argv[2] || "dashboard.png";
  const scheme = process.argv[3] === "dark" ? "dark" : "light";
  const width = Number(process.env.SCREENSHOT_WIDTH || 1280);
  const browser = await launch({ viewport: { width, height: 900 }, colorScheme: scheme, deviceScaleFactor: 1 });
  try {
    const page = await browser.context.newPage();
    const problems = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(dashboardUrl());
    await page.waitForSelector("html[data-rendered=true]");
    await page.screenshot({ path: out, fullPage: true });
    if (problems.length) throw new Error("console errors: " + problems.join("; "));
    console.log("wrote " + out);
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
