// supabase/config.toml declares the edge function where the code is, as the CLI reads it.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SUPABASE_DIR } from "../../../scripts/shared/project-paths.ts";
import { runSupabase } from "../../../scripts/shared/supabase-cli.ts";

/** The key = value lines of one [table] in a TOML file (enough for this flat config). */
function tomlTable(text: string, table: string): Record<string, string> {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line.trim() === `[${table}]`);
  if (start < 0) return {};
  const entries: Record<string, string> = {};
  for (const line of lines.slice(start + 1)) {
    if (line.trim().startsWith("[")) break;
    const match = /^\s*([\w-]+)\s*=\s*(.+?)\s*$/.exec(line);
    if (match) entries[match[1]!] = match[2]!;
  }
  return entries;
}

describe("supabase/config.toml", () => {
  const config = readFileSync(path.join(SUPABASE_DIR, "config.toml"), "utf8");
  const fn = tomlTable(config, "functions.feature-flags");

  it("declares feature-flags with an entrypoint in the top-level functions folder and verify_jwt off", () => {
    expect(fn.verify_jwt).toBe("false");
    expect(fn.entrypoint).toBe('"../functions/feature-flags/index.ts"');
    // Entry points are resolved relative to the supabase/ folder; so is the import map beside it.
    expect(existsSync(path.resolve(SUPABASE_DIR, JSON.parse(fn.entrypoint!)))).toBe(true);
    expect(fn.import_map).toBe('"../functions/feature-flags/deno.json"');
    expect(existsSync(path.resolve(SUPABASE_DIR, JSON.parse(fn.import_map!)))).toBe(true);
  });

  it("is accepted by the pinned CLI", async () => {
    const version = await runSupabase(["--version"]);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(SUPABASE_DIR, "..", "package.json"), "utf8")).devDependencies.supabase);
    // Loading the config is the first thing `migration list` does; a bad key or type fails it
    // before any connection is tried. The URL points at a closed port on purpose.
    const result = await runSupabase(["migration", "list", "--remote=postgresql://postgres@127.0.0.1:1/postgres?sslmode=disable"]);
    expect(result.output).not.toMatch(/failed to load config/i);
  });
});
