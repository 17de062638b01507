// The names a migration creates in schema public, read from its SQL, so that preflight also
// covers migrations added after this tool was written. A name a pending migration creates that
// already exists is worth a warning: `if not exists` keeps the existing object whatever its shape,
// and `or replace` replaces someone else's function. (The kit's own objects get the stricter
// shape check in expected-shapes.ts.)

export type CreatedKind = "table" | "view" | "index" | "trigger" | "function";

export interface CreatedName {
  kind: CreatedKind;
  name: string;
  /** create or replace: an existing object is replaced rather than kept. */
  replaces: boolean;
}

const QUALIFIED = String.raw`(?:"?(\w+)"?\.)?"?(\w+)"?`;
const PATTERNS: Array<[CreatedKind, RegExp]> = [
  ["table", new RegExp(String.raw`\bcreate\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?${QUALIFIED}`, "gi")],
  ["view", new RegExp(String.raw`\bcreate\s+(or\s+replace\s+)?(?:materialized\s+)?view\s+(?:if\s+not\s+exists\s+)?${QUALIFIED}`, "gi")],
  ["index", new RegExp(String.raw`\bcreate\s+(?:unique\s+)?index\s+(?:concurrently\s+)?(?:if\s+not\s+exists\s+)?"?(\w+)"?\s+on\s+(?:only\s+)?${QUALIFIED}`, "gi")],
  ["trigger", new RegExp(String.raw`\bcreate\s+(or\s+replace\s+)?(?:constraint\s+)?trigger\s+"?(\w+)"?`, "gi")],
  ["function", new RegExp(String.raw`\bcreate\s+(or\s+replace\s+)?function\s+${QUALIFIED}\s*\(`, "gi")],
];

/** Pure: the public names a migration's SQL creates (line comments ignored). */
export function namesCreatedBy(sql: string): CreatedName[] {
  const code = sql.replace(/--[^\n]*/g, "");
  const found = new Map<string, CreatedName>();
  for (const [kind, pattern] of PATTERNS) {
    for (const match of code.matchAll(pattern)) {
      let name: string;
      let schema: string | undefined;
      let replaces = false;
      if (kind === "table") [schema, name] = [match[1], match[2]!];
      else if (kind === "index") [name, schema] = [match[1]!, match[2]];
      else if (kind === "trigger") [replaces, name] = [Boolean(match[1]), match[2]!];
      else [replaces, schema, name] = [Boolean(match[1]), match[2], match[3]!];
      if (schema && schema.toLowerCase() !== "public") continue;
      found.set(`${kind} ${name}`, { kind, name, replaces });
    }
  }
  return [...found.values()];
}
