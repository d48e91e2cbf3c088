// The reference client for scripts/bench.sh: octokit's own paginate over the sandbox's open
// issues, exactly as a JavaScript user would list them. Prints one JSON line:
// {items, requests, ms, rss_peak_kb, octokit}. `ms` times the paginate call alone (Node's
// start-up and module loading excluded), which favours octokit in the comparison.
//
// usage: node paginate.mjs BASE_URL [OWNER/REPO]
import { readFileSync } from "node:fs";
import { Octokit } from "@octokit/rest";

const [baseUrl, slug = "acme/widgets"] = process.argv.slice(2);
if (!baseUrl) {
  console.error("usage: node paginate.mjs BASE_URL [OWNER/REPO]");
  process.exit(2);
}
const [owner, repo] = slug.split("/");

const version = JSON.parse(
  readFileSync(new URL("./node_modules/@octokit/rest/package.json", import.meta.url)),
).version;

const octokit = new Octokit({ baseUrl, auth: "ghp_x", userAgent: "codex-bench" });
let requests = 0;
octokit.hook.before("request", () => {
  requests += 1;
});

const started = process.hrtime.bigint();
const issues = await octokit.paginate("GET /repos/{owner}/{repo}/issues", {
  owner,
  repo,
  state: "open",
  per_page: 100,
});
const ms = Number(process.hrtime.bigint() - started) / 1e6;

console.log(
  JSON.stringify({
    items: issues.length,
    requests,
    ms: Math.round(ms * 10) / 10,
    rss_peak_kb: process.resourceUsage().maxRSS,
    octokit: version,
  }),
);
