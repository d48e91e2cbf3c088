// Cuts the REST operations Codex uses out of GitHub's OpenAPI description
// (@octokit/openapi, generated/api.github.com.json, OpenAPI 3.0.3) and writes
// them to spec/github-rest.json.
//
// Usage: node rest-subset.mjs <output file>
//
// Kept: the operations in OPERATIONS below (whole operation objects: parameters,
// requestBody, every response status, headers, examples, x-github metadata), the
// tags they use, and every `#/components/...` entry they reference, transitively
// (schemas, parameters, responses, headers, examples, ...). Nothing else.
// Upstream mistakes are corrected by ERRATA below (each checks the mistake is
// still there, so a fixed upstream fails the run until its erratum is dropped).
// Output keys are sorted recursively and pretty-printed, so reruns give no diff.
//
// crates/codex-conformance reads the list between the BEGIN/END markers below
// to check that the checked-in subset holds exactly these operations.

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// BEGIN REST ALLOWLIST
export const OPERATIONS = [
  ["GET", "/app"],
  ["GET", "/app/installations"],
  ["POST", "/app/installations/{installation_id}/access_tokens"],
  ["GET", "/installation/repositories"],
  ["GET", "/orgs/{org}/repos"],
  ["GET", "/rate_limit"],
  ["GET", "/repos/{owner}/{repo}"],
  ["GET", "/repos/{owner}/{repo}/actions/variables"],
  ["GET", "/repos/{owner}/{repo}/branches/{branch}"],
  ["GET", "/repos/{owner}/{repo}/contents/{path}"],
  ["GET", "/repos/{owner}/{repo}/installation"],
  ["GET", "/repos/{owner}/{repo}/issues"],
  ["POST", "/repos/{owner}/{repo}/issues"],
  ["GET", "/repos/{owner}/{repo}/issues/{issue_number}"],
  ["PATCH", "/repos/{owner}/{repo}/issues/{issue_number}"],
  ["GET", "/repos/{owner}/{repo}/issues/{issue_number}/labels"],
  ["POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels"],
  ["GET", "/repos/{owner}/{repo}/labels"],
  ["POST", "/repos/{owner}/{repo}/labels"],
  ["GET", "/repos/{owner}/{repo}/milestones"],
  ["POST", "/repos/{owner}/{repo}/milestones"],
];
// END REST ALLOWLIST

// Corrections of upstream mistakes, applied to the kept operations. Listed in spec/README.md.
export const ERRATA = [
  {
    what: "GET /app/installations: `account` of the inline installation items",
    why:
      "upstream inlines an older copy of `installation` here whose `account` is " +
      "`allOf[simple-user, enterprise]` (an account that is both), where the `installation` " +
      "component, and every other App operation, says `anyOf`: its own example fails it",
    fix(paths) {
      const schema = paths["/app/installations"]?.get?.responses?.["200"]?.content?.["application/json"]?.schema;
      const account = schema?.items?.properties?.account;
      const titles = (account?.allOf ?? []).map((s) => s.title).join(", ");
      if (titles !== "Simple User, Enterprise" || account.anyOf !== undefined) {
        throw new Error(`erratum no longer applies (account is ${JSON.stringify(account)?.slice(0, 200)}): drop it`);
      }
      account.anyOf = account.allOf;
      delete account.allOf;
    },
  },
];

function applyErrata(paths) {
  for (const e of ERRATA) e.fix(paths);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv[2]);

function main(out) {
  if (!out) {
    console.error("usage: node rest-subset.mjs <output file>");
    process.exit(2);
  }

  // Read straight from node_modules: the package's "exports" hide these files.
  const pkgDir = fileURLToPath(new URL("node_modules/@octokit/openapi/", import.meta.url));
  const pkg = JSON.parse(readFileSync(`${pkgDir}package.json`, "utf8"));
  const api = JSON.parse(readFileSync(`${pkgDir}generated/api.github.com.json`, "utf8"));

  const errors = [];
  const paths = {};
  for (const [method, path] of OPERATIONS) {
    const item = api.paths[path];
    const op = item?.[method.toLowerCase()];
    if (!op) {
      errors.push(`${method} ${path}: not in ${pkg.name}@${pkg.version}`);
      continue;
    }
    paths[path] ??= {};
    // Path-level parameters/servers apply to every method of the path.
    for (const key of ["parameters", "servers", "summary", "description"]) {
      if (item[key] !== undefined) paths[path][key] = item[key];
    }
    paths[path][method.toLowerCase()] = op;
  }
  if (errors.length) {
    for (const e of errors) console.error(`error: ${e}`);
    process.exit(1);
  }
  applyErrata(paths);

  // Every component reachable from the kept operations.
  const components = {};
  const seen = new Set();
  const walk = (value) => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (value === null || typeof value !== "object") return;
    for (const [key, v] of Object.entries(value)) {
      if (key === "$ref" && typeof v === "string") follow(v);
      else walk(v);
    }
  };
  const follow = (ref) => {
    if (seen.has(ref)) return;
    seen.add(ref);
    const m = /^#\/components\/([^/]+)\/([^/]+)$/.exec(ref);
    if (!m) throw new Error(`unsupported $ref ${ref}`);
    const [, kind, name] = m;
    const target = api.components?.[kind]?.[name];
    if (target === undefined) throw new Error(`dangling $ref ${ref}`);
    (components[kind] ??= {})[name] = target;
    walk(target);
  };
  walk(paths);

  const usedTags = new Set(Object.values(paths).flatMap((item) => Object.values(item).flatMap((op) => op?.tags ?? [])));

  const subset = {
    openapi: api.openapi,
    info: {
      ...api.info,
      "x-codex-subset": `Only the operations Codex uses, cut from ${pkg.name}@${pkg.version} generated/api.github.com.json by scripts/update-github-spec.sh. Do not edit by hand.`,
    },
    servers: api.servers,
    externalDocs: api.externalDocs,
    tags: (api.tags ?? []).filter((t) => usedTags.has(t.name)),
    paths,
    components,
  };

  const sortKeys = (value) => {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys(value[k])]),
    );
  };

  writeFileSync(out, JSON.stringify(sortKeys(subset), null, 2) + "\n");
  const counts = Object.entries(components)
    .map(([k, v]) => `${Object.keys(v).length} ${k}`)
    .join(", ");
  console.error(`wrote ${out}: ${OPERATIONS.length} operations; components: ${counts}`);
}
