// The flags read, as both of the function's database clients make it: its SQL, what a row
// becomes, and the error a read past its time limit fails with. postgres.js runs it in
// flag-database.ts, the first read of a cold start in first-read.ts; one text, one mapping.

import type { FlagDefinition } from "../_shared/rollout.ts";

export const READ_FLAGS_SQL = "select key, enabled, rollout_percentage::float8 as rollout_percentage, bucket_group from public.feature_flags";

/** What names the read in a DatabaseTimeoutError. */
export const READ_FLAGS_TASK = "reading public.feature_flags";

/** What a row of READ_FLAGS_SQL becomes, whichever client read it. */
export function flagDefinitionOf(row: Record<string, unknown>): FlagDefinition {
  return {
    key: String(row.key),
    enabled: row.enabled === true,
    rolloutPercentage: Number(row.rollout_percentage),
    bucketGroup: String(row.bucket_group),
  };
}

export class DatabaseTimeoutError extends Error {
  constructor(what: string, timeoutMs: number) {
    super(`${what} took longer than ${timeoutMs} ms`);
    this.name = "DatabaseTimeoutError";
  }
}
