// Cuts the part of GitHub's GraphQL schema that Codex touches out of
// @octokit/graphql-schema and writes it to spec/github.graphql.
//
// Usage: node graphql-subset.mjs <output file>
//
// The subset is chosen by FIELDS below: for every object or interface type we
// keep, the fields we keep. Everything else follows from that list:
// - kept fields keep their full argument list, real types, descriptions and
//   @deprecated markers;
// - input objects, enums and scalars reachable from kept fields are kept whole;
// - unions keep only the member types we keep;
// - a field kept on an interface is also kept on every kept type implementing
//   it (GraphQL requires this), and interfaces we do not keep are dropped from
//   `implements` lists.
// Output/interface types reached but not listed are an error: extend FIELDS.
// The result is checked with graphql-js `buildSchema` + `validateSchema`.
//
// Note: the upstream schema itself does not pass graphql-js SDL validation
// (e.g. duplicate fields on EnterpriseOwnerInfo), so we work on the parsed AST
// and validate only our subset.

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Kind, buildSchema, parse, print, validateSchema } from "graphql";

// BEGIN GRAPHQL ALLOWLIST
export const FIELDS = {
  Query: ["organization", "user", "repositoryOwner", "repository", "node", "nodes", "rateLimit"],
  Mutation: ["addProjectV2ItemById", "deleteIssue"],
  Organization: ["id", "login", "projectV2", "projectsV2"],
  User: ["id", "login", "projectV2", "projectsV2"],
  RepositoryOwner: ["id", "login"],
  ProjectV2Owner: ["id", "projectV2", "projectsV2"],
  Node: ["id"],
  ProjectV2: ["id", "number", "title", "closed", "url", "items"],
  ProjectV2Connection: ["nodes", "pageInfo", "totalCount"],
  ProjectV2ItemConnection: ["nodes", "pageInfo", "totalCount"],
  ProjectV2Item: ["id", "type", "content", "project", "isArchived"],
  PageInfo: ["hasNextPage", "endCursor", "hasPreviousPage", "startCursor"],
  Issue: ["id", "number", "title", "url", "state", "repository", "projectItems"],
  PullRequest: ["id", "number", "title", "repository"],
  DraftIssue: ["id", "title"],
  Repository: ["id", "nameWithOwner", "name", "issue", "issues"],
  IssueConnection: ["nodes", "pageInfo", "totalCount"],
  AddProjectV2ItemByIdPayload: ["clientMutationId", "item"],
  DeleteIssuePayload: ["clientMutationId", "repository"],
  RateLimit: ["limit", "remaining", "resetAt", "cost", "used", "nodeCount"],
};
// END GRAPHQL ALLOWLIST

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv[2]);

function main(out) {
  // Read straight from node_modules: the package's "exports" hide these files.
  const pkgDir = fileURLToPath(new URL("node_modules/@octokit/graphql-schema/", import.meta.url));
  const pkg = JSON.parse(readFileSync(`${pkgDir}package.json`, "utf8"));
  const sdlPath = `${pkgDir}schema.graphql`;
  if (!out) {
    console.error("usage: node graphql-subset.mjs <output file>");
    process.exit(2);
  }

  const upstream = parse(readFileSync(sdlPath, "utf8"), { noLocation: true });
  const defs = new Map();
  for (const def of upstream.definitions) {
    if (def.name) {
      if (defs.has(def.name.value)) throw new Error(`duplicate definition ${def.name.value}`);
      defs.set(def.name.value, def);
    }
  }

  const BUILTIN_SCALARS = new Set(["String", "Int", "Float", "Boolean", "ID"]);
  const OUTPUT_KINDS = new Set([Kind.OBJECT_TYPE_DEFINITION, Kind.INTERFACE_TYPE_DEFINITION]);
  const errors = [];
  const notes = [];

  // Kept fields per object/interface type (mutable: the interface closure adds to it).
  const keptFields = new Map(Object.entries(FIELDS).map(([t, fs]) => [t, new Set(fs)]));
  for (const [typeName, fields] of keptFields) {
    const def = defs.get(typeName);
    if (!def || !OUTPUT_KINDS.has(def.kind)) {
      errors.push(`${typeName}: not an object or interface type upstream`);
      continue;
    }
    const have = new Set((def.fields ?? []).map((f) => f.name.value));
    for (const f of fields) if (!have.has(f)) errors.push(`${typeName}.${f}: no such field upstream`);
  }
  bail();

  const interfacesOf = (def) => (def.interfaces ?? []).map((i) => i.name.value);

  // Interface closure: fields kept on a kept interface are kept on its kept implementors.
  for (let changed = true; changed; ) {
    changed = false;
    for (const [typeName, fields] of keptFields) {
      for (const iface of interfacesOf(defs.get(typeName))) {
        for (const f of keptFields.get(iface) ?? []) {
          if (!fields.has(f)) {
            fields.add(f);
            notes.push(`${typeName}.${f} kept because interface ${iface} keeps it`);
            changed = true;
          }
        }
      }
    }
  }

  const namedType = (t) => (t.kind === Kind.NAMED_TYPE ? t.name.value : namedType(t.type));

  // Collect every type the kept fields reach.
  const keep = new Set(keptFields.keys());
  const queue = [];
  const want = (name, from) => {
    if (BUILTIN_SCALARS.has(name) || keep.has(name)) return;
    const def = defs.get(name);
    if (!def) return errors.push(`${from}: unknown type ${name}`);
    if (OUTPUT_KINDS.has(def.kind)) return errors.push(`${from}: type ${name} is not allowlisted`);
    keep.add(name);
    queue.push(name);
  };
  for (const [typeName, fields] of keptFields) {
    for (const field of defs.get(typeName).fields) {
      if (!fields.has(field.name.value)) continue;
      const where = `${typeName}.${field.name.value}`;
      want(namedType(field.type), where);
      for (const arg of field.arguments ?? []) want(namedType(arg.type), `${where}(${arg.name.value})`);
    }
  }
  while (queue.length) {
    const name = queue.pop();
    const def = defs.get(name);
    if (def.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION) {
      for (const f of def.fields) want(namedType(f.type), `${name}.${f.name.value}`);
    } else if (def.kind === Kind.UNION_TYPE_DEFINITION) {
      const members = def.types.map((t) => t.name.value).filter((m) => keptFields.has(m));
      if (members.length === 0) errors.push(`union ${name}: none of its members is allowlisted`);
    }
  }
  bail();

  // Drop directives other than @deprecated (GitHub's @requiredCapabilities is not
  // defined in our subset and carries nothing a client needs).
  const stripDirectives = (node) => {
    const directives = (node.directives ?? []).filter((d) => d.name.value === "deprecated");
    return { ...node, directives };
  };

  const output = [];
  for (const name of [...keep].sort()) {
    const def = stripDirectives(defs.get(name));
    switch (def.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.INTERFACE_TYPE_DEFINITION: {
        const fields = keptFields.get(name);
        output.push({
          ...def,
          interfaces: (def.interfaces ?? []).filter((i) => keptFields.has(i.name.value)),
          fields: def.fields
            .filter((f) => fields.has(f.name.value))
            .map((f) => ({ ...stripDirectives(f), arguments: (f.arguments ?? []).map(stripDirectives) })),
        });
        break;
      }
      case Kind.UNION_TYPE_DEFINITION:
        output.push({ ...def, types: def.types.filter((t) => keptFields.has(t.name.value)) });
        break;
      case Kind.INPUT_OBJECT_TYPE_DEFINITION:
        output.push({ ...def, fields: def.fields.map(stripDirectives) });
        break;
      case Kind.ENUM_TYPE_DEFINITION:
        output.push({ ...def, values: def.values.map(stripDirectives) });
        break;
      case Kind.SCALAR_TYPE_DEFINITION:
        output.push(def);
        break;
      default:
        errors.push(`${name}: unexpected definition kind ${def.kind}`);
    }
  }
  bail();

  const sdl = print({ kind: Kind.DOCUMENT, definitions: output });
  const problems = validateSchema(buildSchema(sdl));
  if (problems.length) {
    errors.push(...problems.map((p) => `subset invalid: ${p.message}`));
    bail();
  }

  const header =
    `# GitHub GraphQL schema: the subset Codex uses.\n` +
    `# Generated by scripts/update-github-spec.sh from ${pkg.name}@${pkg.version} (schema.graphql).\n` +
    `# Do not edit by hand; change the allowlist in scripts/spec/graphql-subset.mjs and rerun.\n\n`;
  writeFileSync(out, header + sdl + "\n");
  for (const n of notes) console.error(`note: ${n}`);
  console.error(`wrote ${out}: ${output.length} definitions, ${keptFields.size} object/interface types`);

  function bail() {
    if (errors.length) {
      for (const e of errors) console.error(`error: ${e}`);
      process.exit(1);
    }
  }
}
