// The function's configuration, read from the environment in this one place.
//
// `loadConfig(env)` takes the environment as a plain record so tests pass their own; index.ts
// passes Deno.env.toObject(). Missing required configuration is a typed error, never a silent
// empty string. An override that cannot be parsed is not fatal (flag lookups must keep working)
// but is reported by /health and logged, so a mistyped kill switch does not go unnoticed.

import { FLAG_KEY_PATTERN, parseOverride, type FlagOverride } from "../_shared/rollout.ts";

export const OVERRIDE_PREFIX = "FEATURE_FLAG_";

export interface FunctionConfig {
  /** Postgres URL (Supabase sets SUPABASE_DB_URL for every function). */
  databaseUrl: string;
  /** How long flags read from the table are served before the next read. */
  cacheTtlMs: number;
  /** How long the last flags read are still served while the database is unreachable. */
  staleLimitMs: number;
  /** How long one read of the flags table may take before it counts as failed. */
  databaseTimeoutMs: number;
  /** FEATURE_FLAG_<KEY> overrides, by flag key. */
  overrides: ReadonlyMap<string, FlagOverride>;
  /** FEATURE_FLAG_<KEY> variables that could not be parsed, with the reason. */
  invalidOverrides: ReadonlyArray<{ variable: string; error: string }>;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export type Environment = Readonly<Record<string, string | undefined>>;

export const DEFAULTS = {
  cacheTtlMs: 5_000,
  staleLimitMs: 15 * 60_000,
  databaseTimeoutMs: 3_000,
} as const;

export function loadConfig(env: Environment): FunctionConfig {
  const databaseUrl = env.SUPABASE_DB_URL?.trim();
  if (!databaseUrl) {
    throw new ConfigError("SUPABASE_DB_URL", "SUPABASE_DB_URL is required: the Postgres URL the function reads feature_flags from");
  }
  const { overrides, invalidOverrides } = readOverrides(env);
  return {
    databaseUrl,
    cacheTtlMs: readMilliseconds(env, "FEATURE_FLAGS_CACHE_TTL_MS", DEFAULTS.cacheTtlMs, { min: 0, max: 60_000 }),
    staleLimitMs: readMilliseconds(env, "FEATURE_FLAGS_STALE_LIMIT_MS", DEFAULTS.staleLimitMs, { min: 0, max: 24 * 3_600_000 }),
    databaseTimeoutMs: readMilliseconds(env, "FEATURE_FLAGS_DB_TIMEOUT_MS", DEFAULTS.databaseTimeoutMs, { min: 100, max: 60_000 }),
    overrides,
    invalidOverrides,
  };
}

function readMilliseconds(env: Environment, variable: string, fallback: number, range: { min: number; max: number }): number {
  const raw = env[variable]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new ConfigError(variable, `${variable} must be a whole number of milliseconds from ${range.min} to ${range.max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** FEATURE_FLAG_<KEY>=true|false|<percentage>, for keys shaped like flag keys. */
export function readOverrides(env: Environment): Pick<FunctionConfig, "overrides" | "invalidOverrides"> {
  const overrides = new Map<string, FlagOverride>();
  const invalidOverrides: Array<{ variable: string; error: string }> = [];
  for (const [variable, raw] of Object.entries(env)) {
    if (!variable.startsWith(OVERRIDE_PREFIX) || raw === undefined) continue;
    const key = variable.slice(OVERRIDE_PREFIX.length);
    if (!FLAG_KEY_PATTERN.test(key)) {
      invalidOverrides.push({ variable, error: `${variable} does not name a flag key (upper snake case after ${OVERRIDE_PREFIX})` });
      continue;
    }
    const parsed = parseOverride(raw);
    if (parsed.error === null) overrides.set(key, parsed.data);
    else invalidOverrides.push({ variable, error: `${variable}: ${parsed.error}` });
  }
  return { overrides, invalidOverrides };
}
