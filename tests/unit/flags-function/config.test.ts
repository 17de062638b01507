// The function's environment (config.ts), the override precedence (evaluate.ts) and its npm: pins.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULTS, loadConfig } from "../../../functions/feature-flags/config.ts";
import { evaluateAll, evaluateKey } from "../../../functions/feature-flags/evaluate.ts";
import type { FlagSnapshot } from "../../../functions/feature-flags/flag-cache.ts";
import { bucketOf, type FlagDefinition } from "../../../functions/_shared/rollout.ts";
import { FUNCTION_CONFIG, FUNCTION_ENTRY, FUNCTION_LOCK } from "../../../scripts/local/function-server.ts";
import { PROJECT_ROOT } from "../../../scripts/shared/project-paths.ts";

const DB = { SUPABASE_DB_URL: "postgresql://postgres@127.0.0.1:5432/postgres" };

function snapshotOf(flags: FlagDefinition[] | null): FlagSnapshot {
  return {
    flags: flags && new Map(flags.map((f) => [f.key, f])),
    state: flags ? "fresh" : "unavailable",
    fetchedAt: flags ? 0 : null,
    ageMs: flags ? 0 : null,
    lastError: flags ? null : "down",
    lastKnownKeys: [],
  };
}

describe("loadConfig", () => {
  it("requires SUPABASE_DB_URL, with a typed error naming it", () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({ SUPABASE_DB_URL: "  " })).toThrow(/SUPABASE_DB_URL is required/);
  });

  it("defaults the cache TTL to at most 5 s and reads it from FEATURE_FLAGS_CACHE_TTL_MS", () => {
    expect(DEFAULTS.cacheTtlMs).toBeLessThanOrEqual(5_000);
    expect(loadConfig(DB).cacheTtlMs).toBe(DEFAULTS.cacheTtlMs);
    expect(loadConfig({ ...DB, FEATURE_FLAGS_CACHE_TTL_MS: "250" }).cacheTtlMs).toBe(250);
    expect(() => loadConfig({ ...DB, FEATURE_FLAGS_CACHE_TTL_MS: "5s" })).toThrow(/FEATURE_FLAGS_CACHE_TTL_MS must be a whole number/);
    expect(() => loadConfig({ ...DB, FEATURE_FLAGS_STALE_LIMIT_MS: "-1" })).toThrow(ConfigError);
  });

  it("reads FEATURE_FLAG_<KEY> overrides and reports the ones it cannot parse", () => {
    const config = loadConfig({
      ...DB,
      FEATURE_FLAG_DLQ_ENABLED: "false",
      FEATURE_FLAG_JOB_HEARTBEAT: "12.5%",
      FEATURE_FLAG_NEW_THING: "TRUE",
      FEATURE_FLAG_TYPO: "flase",
      FEATURE_FLAG_lower: "true",
      FEATURE_FLAGS_CACHE_TTL_MS: "1000",
    });
    expect(Object.fromEntries(config.overrides)).toEqual({
      DLQ_ENABLED: { kind: "off" },
      JOB_HEARTBEAT: { kind: "percentage", percentage: 12.5 },
      NEW_THING: { kind: "on" },
    });
    expect(config.invalidOverrides.map((o) => o.variable).sort()).toEqual(["FEATURE_FLAG_TYPO", "FEATURE_FLAG_lower"]);
  });
});

describe("override precedence", () => {
  const table: FlagDefinition[] = [
    { key: "DLQ_ENABLED", enabled: true, rolloutPercentage: 100, bucketGroup: "DLQ_ENABLED" },
    { key: "JOB_HEARTBEAT", enabled: false, rolloutPercentage: 0, bucketGroup: "JOB_HEARTBEAT" },
  ];
  const overrides = loadConfig({ ...DB, FEATURE_FLAG_DLQ_ENABLED: "false", FEATURE_FLAG_JOB_HEARTBEAT: "50", FEATURE_FLAG_NEW_THING: "true" }).overrides;

  it("false beats a 100 % flag (kill switch); a percentage rolls out a disabled flag; true serves a key with no row", () => {
    const answers = Object.fromEntries(evaluateAll(snapshotOf(table), overrides, "tenant-1").map((e) => [e.key, e]));
    expect(answers.DLQ_ENABLED).toMatchObject({ value: false, reason: "OVERRIDE", overridden: true });
    expect(answers.JOB_HEARTBEAT).toMatchObject({ value: bucketOf("JOB_HEARTBEAT", "tenant-1") < 5000, overridden: true, rolloutPercentage: 50 });
    expect(answers.NEW_THING).toMatchObject({ value: true, reason: "OVERRIDE" });
  });

  it("without overrides the table decides; an unknown key has no answer", () => {
    expect(evaluateKey(snapshotOf(table), new Map(), "DLQ_ENABLED", "t")).toMatchObject({ value: true, reason: "STATIC" });
    expect(evaluateKey(snapshotOf(table), new Map(), "NO_SUCH_FLAG", "t")).toBeNull();
  });

  it("with no data, overrides still apply and every other flag is off with reason ERROR", () => {
    expect(evaluateKey(snapshotOf(null), overrides, "NEW_THING", "t")).toMatchObject({ value: true, reason: "OVERRIDE" });
    expect(evaluateKey(snapshotOf(null), new Map(), "DLQ_ENABLED", "t")).toMatchObject({ value: false, reason: "ERROR" });
  });
});

describe("deno.json", () => {
  it("pins each npm package of the function to the version package-lock.json installs", () => {
    // Deno serves the function with the packages deno.json names; the Node tests run its modules
    // with those package-lock.json installs: keep both in step, so both test the same code.
    const { imports } = JSON.parse(readFileSync(FUNCTION_CONFIG, "utf8")) as { imports: Record<string, string> };
    const pins = Object.values(imports).map((target) => /^npm:((?:@[^/]+\/)?[^@/]+)@([^/]+)/.exec(target)!).map(([, name, version]) => ({ name: name!, version: version! }));
    expect(pins.map((pin) => pin.name).sort()).toEqual(["@supabase/server", "postgres"]);
    // The function imports its packages by these names only: no inline npm: pin to drift.
    for (const folder of [path.dirname(FUNCTION_ENTRY), path.join(PROJECT_ROOT, "functions", "_shared")]) {
      for (const name of readdirSync(folder).filter((file) => file.endsWith(".ts"))) {
        expect(readFileSync(path.join(folder, name), "utf8"), name).not.toMatch(/["']npm:/);
      }
    }
    const source = readFileSync(FUNCTION_ENTRY, "utf8");
    for (const name of Object.keys(imports)) expect(source).toContain(`"${name}"`);
    const lock = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package-lock.json"), "utf8"));
    for (const pin of pins) expect(`${pin.name}@${pin.version}`).toBe(`${pin.name}@${lock.packages[`node_modules/${pin.name}`].version}`);
  });

  it("has its packages resolved in the kit's lockfile, at the pinned versions", () => {
    // The kit's runs of the function pass the lockfile frozen: a pin changed without it refreshed
    // stops them, and this names the difference first.
    const { imports } = JSON.parse(readFileSync(FUNCTION_CONFIG, "utf8")) as { imports: Record<string, string> };
    const packages = Object.values(imports).map((target) => /^(npm:(?:@[^/]+\/)?[^@/]+@[^/]+)/.exec(target)![1]!);
    const { specifiers } = JSON.parse(readFileSync(FUNCTION_LOCK, "utf8")) as { specifiers: Record<string, string> };
    expect(Object.keys(specifiers).sort()).toEqual([...new Set(packages)].sort());
    for (const name of packages) expect(specifiers[name]!.split("_")[0], name).toBe(name.slice(name.lastIndexOf("@") + 1));
  });

});
