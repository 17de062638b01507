// No import cycles among the repository's TypeScript files. A cycle makes the order in which
// modules initialise depend on which one is imported first (a value read before its module ran
// is undefined), and it ties together code that should be readable and testable on its own.
// Relative imports only (packages cannot import this code back); static, `export ... from`,
// `import type` and dynamic `import("...")` alike. Reads the sources; no database, no network.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../scripts/shared/project-paths.ts";

/** Folders that hold no code of the repository's own (installed, generated or local data). */
const SKIPPED_FOLDERS = new Set(["node_modules", ".data", ".git", "tmp"]);
const IMPORT_PATTERN = /\b(?:import|export)\s[^;]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;

type ImportGraph = Map<string, string[]>;

/** The relative specifiers a TypeScript source imports, comments left out. */
function importedSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return [...code.matchAll(IMPORT_PATTERN)].map((match) => match[1] ?? match[2] ?? match[3]!).filter((specifier) => specifier.startsWith("."));
}

/** Every cycle, as the files of one strongly connected component (Tarjan), each sorted. */
function findCycles(graph: ImportGraph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter++;
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(component.sort());
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) visit(file);
  return cycles;
}

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return SKIPPED_FOLDERS.has(entry.name) ? [] : typeScriptFiles(path.join(dir, entry.name));
    return entry.name.endsWith(".ts") ? [path.join(dir, entry.name)] : [];
  });
}

function repositoryGraph(): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of typeScriptFiles(PROJECT_ROOT)) {
    const from = path.relative(PROJECT_ROOT, file);
    const targets = importedSpecifiers(readFileSync(file, "utf8"))
      .filter((specifier) => specifier.endsWith(".ts"))
      .map((specifier) => path.relative(PROJECT_ROOT, path.resolve(path.dirname(file), specifier)));
    graph.set(from, targets);
  }
  return graph;
}

describe("import cycles", () => {
  it("reads static, re-exported, type-only and dynamic relative imports, not comments or packages", () => {
    const source = [
      'import { a } from "./a.ts";',
      'import type { B } from "../b.ts";',
      "import {",
      "  c,",
      '} from "./c.ts";',
      'export { d } from "./d.ts";',
      'const e = await import("./e.ts");',
      'import "./f.ts";',
      'import postgres from "postgres";',
      '// import { g } from "./g.ts";',
      '/* import { h } from "./h.ts"; */',
    ].join("\n");
    expect(importedSpecifiers(source)).toEqual(["./a.ts", "../b.ts", "./c.ts", "./d.ts", "./e.ts", "./f.ts"]);
  });

  it("finds a cycle of any length, a self-import, and none in a tree", () => {
    const graph: ImportGraph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts", "d.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", []],
      ["e.ts", ["e.ts"]],
    ]);
    expect(findCycles(graph)).toEqual([["a.ts", "b.ts", "c.ts"], ["e.ts"]]);
    expect(findCycles(new Map([["a.ts", ["b.ts", "c.ts"]], ["b.ts", ["c.ts"]], ["c.ts", []]]))).toEqual([]);
  });

  it("the repository has none", () => {
    const graph = repositoryGraph();
    // The walk did find the code: the function's entry and what it imports.
    expect(graph.get(path.join("functions", "feature-flags", "index.ts"))).toContain(path.join("functions", "feature-flags", "handler.ts"));
    expect(findCycles(graph)).toEqual([]);
  });
});
