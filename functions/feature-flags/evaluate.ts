// Answers "which flags are on for this subject": the cached table, the environment overrides and
// the pure rollout rule together. Precedence, highest first:
//   1. FEATURE_FLAG_<KEY>=false   off for every subject (the kill switch), reason OVERRIDE
//   2. FEATURE_FLAG_<KEY>=true    on for every subject, reason OVERRIDE
//   3. FEATURE_FLAG_<KEY>=<n>     rolled out to n % of subjects whatever `enabled` says
//   4. the feature_flags row      enabled + rollout_percentage (DISABLED / STATIC / SPLIT)
//   5. no flags could be read     off, reason ERROR
// A key set only by an override (no row) is served from the override alone.

import { evaluateFlag, evaluateWithoutData, type FlagEvaluation, type FlagOverride } from "../_shared/rollout.ts";
import type { FlagSnapshot, SourceState } from "./flag-cache.ts";

/** Where the answer's flag data came from, included in every lookup response. */
export interface SourceReport {
  state: SourceState;
  /** ISO time the flags were read from the database, null if never. */
  fetchedAt: string | null;
  ageMs: number | null;
  /** That the database could not be read, when serving stale or no data (READ_FAILED, or why). */
  error?: string;
}

/**
 * What an answer says of a failed read, to any caller but an operator: the database's own error
 * names hosts, ports and users (a pooler's user carries the project ref), and lookups are open to
 * the publishable key, which is public.
 */
export const READ_FAILED = "the flags could not be read from the database; the function's log, or /health with a secret key, has the details";

/** `rawError`: the database's own error instead of READ_FAILED (for a secret-key caller). */
export function sourceReport(snapshot: FlagSnapshot, rawError = false): SourceReport {
  const report: SourceReport = {
    state: snapshot.state,
    fetchedAt: snapshot.fetchedAt === null ? null : new Date(snapshot.fetchedAt).toISOString(),
    ageMs: snapshot.ageMs,
  };
  if (snapshot.state !== "fresh" && snapshot.lastError) report.error = rawError ? snapshot.lastError : READ_FAILED;
  return report;
}

/**
 * Every key there is an answer for, sorted: the table's keys (or, when its values are too old to
 * serve, the keys it last had) and the overrides' keys.
 */
export function knownKeys(snapshot: FlagSnapshot, overrides: ReadonlyMap<string, FlagOverride>): readonly string[] {
  // The same flags (one read of the table) and overrides give the same keys: every bulk lookup
  // between two reads reuses the sorted list instead of building it again.
  const cached = lastKeys;
  if (cached && cached.flags === snapshot.flags && cached.lastKnownKeys === snapshot.lastKnownKeys && cached.overrides === overrides) return cached.keys;
  const keys = new Set<string>(overrides.keys());
  for (const key of snapshot.flags?.keys() ?? snapshot.lastKnownKeys) keys.add(key);
  const sorted = Object.freeze([...keys].sort());
  lastKeys = { flags: snapshot.flags, lastKnownKeys: snapshot.lastKnownKeys, overrides, keys: sorted };
  return sorted;
}

let lastKeys:
  | { flags: FlagSnapshot["flags"]; lastKnownKeys: FlagSnapshot["lastKnownKeys"]; overrides: ReadonlyMap<string, FlagOverride>; keys: readonly string[] }
  | undefined;

/**
 * One flag for one subject; null when the key is unknown. With no data at all, any key gets an
 * answer (off, ERROR): the function cannot tell an unknown key from a flag it failed to read.
 */
export function evaluateKey(
  snapshot: FlagSnapshot,
  overrides: ReadonlyMap<string, FlagOverride>,
  key: string,
  subject: string,
): FlagEvaluation | null {
  const override = overrides.get(key);
  const flag = snapshot.flags?.get(key);
  if (flag) return evaluateFlag(flag, subject, override);
  if (override || snapshot.flags === null) return evaluateWithoutData(key, subject, override);
  return null;
}

export function evaluateAll(
  snapshot: FlagSnapshot,
  overrides: ReadonlyMap<string, FlagOverride>,
  subject: string,
): FlagEvaluation[] {
  return knownKeys(snapshot, overrides).map((key) => evaluateKey(snapshot, overrides, key, subject)!);
}
