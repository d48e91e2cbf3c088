// dashboard.json and federation.json against the checked-in docs/dashboard.schema.json and
// docs/federation.schema.json (generated from the Rust types by
// `CODEX_UPDATE_SCHEMA=1 cargo nextest run -p codex-core schema`), with ajv.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const Ajv2020 = require("ajv/dist/2020");

const DOCS = path.join(__dirname, "..", "..", "..", "docs");
// RFC 3339, as chrono writes it.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

const validators = {};

/** The violations of `docs/<name>` by `doc`, one line each (empty when it validates). */
function schemaErrors(name, doc) {
  let validate = validators[name];
  if (!validate) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    ajv.addFormat("date-time", { type: "string", validate: (s) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)) });
    ajv.addFormat("uint32", { type: "number", validate: (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff });
    ajv.addFormat("uint64", { type: "number", validate: (n) => Number.isInteger(n) && n >= 0 });
    ajv.addFormat("int64", { type: "number", validate: (n) => Number.isInteger(n) });
    validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(DOCS, name), "utf8")));
    validators[name] = validate;
  }
  if (validate(doc)) return [];
  return validate.errors.map((e) => `${e.instancePath || "/"} ${e.message} (${e.schemaPath})`);
}

/** The violations of docs/dashboard.schema.json by `doc`. */
function dashboardSchemaErrors(doc) {
  return schemaErrors("dashboard.schema.json", doc);
}

/** The violations of docs/federation.schema.json by `doc`. */
function federationSchemaErrors(doc) {
  return schemaErrors("federation.schema.json", doc);
}

module.exports = { dashboardSchemaErrors, federationSchemaErrors };
