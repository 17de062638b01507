// The function's only SQL: read the flags table, change one flag (audited), and ping.
//
// The client is postgres.js created in index.ts with `prepare: false` (Supabase's transaction
// pooler cannot keep prepared statements) and one connection (an edge isolate serves one request
// at a time; PGlite, the local default, is a single session anyway).

import type { FlagDefinition } from "../_shared/rollout.ts";

/** The part of a postgres.js client used here. */
export interface SqlClient {
  // deno-lint-ignore no-explicit-any
  (template: TemplateStringsArray, ...parameters: any[]): PromiseLike<ReadonlyArray<Record<string, unknown>>>;
  begin<T>(callback: (tx: SqlClient) => Promise<T>): Promise<unknown>;
}

export interface FlagRecord extends FlagDefinition {
  description: string;
  updatedAt: string;
  updatedBy: string;
}

export interface FlagChange {
  enabled?: boolean;
  rolloutPercentage?: number;
}

export interface FlagDatabase {
  readFlags(): Promise<FlagDefinition[]>;
  /** null when there is no such flag. */
  updateFlag(key: string, change: FlagChange, actor: string): Promise<FlagRecord | null>;
  ping(): Promise<void>;
}

export class DatabaseTimeoutError extends Error {
  constructor(what: string, timeoutMs: number) {
    super(`${what} took longer than ${timeoutMs} ms`);
    this.name = "DatabaseTimeoutError";
  }
}

/** Fails after timeoutMs, so a hanging database counts as unreachable instead of hanging callers. */
export function withTimeout<T>(what: string, timeoutMs: number, work: PromiseLike<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeoutError(what, timeoutMs)), timeoutMs);
  });
  return Promise.race([Promise.resolve(work), timeout]).finally(() => clearTimeout(timer));
}

export function createFlagDatabase(sql: SqlClient, timeoutMs: number): FlagDatabase {
  return {
    async readFlags() {
      const rows = await withTimeout(
        "reading public.feature_flags",
        timeoutMs,
        sql`select key, enabled, rollout_percentage::float8 as rollout_percentage, bucket_group
              from public.feature_flags`,
      );
      return rows.map((row) => ({
        key: String(row.key),
        enabled: row.enabled === true,
        rolloutPercentage: Number(row.rollout_percentage),
        bucketGroup: String(row.bucket_group),
      }));
    },

    async updateFlag(key, change, actor) {
      const work = sql.begin(async (tx) => {
        // The audit trigger records feature_flags.actor; `set_config(..., true)` is `set local`:
        // it ends with this transaction, so it cannot leak to the next user of the connection.
        await tx`select set_config('feature_flags.actor', ${actor}, true),
                        set_config('lock_timeout', '3s', true),
                        set_config('statement_timeout', '10s', true)`;
        const rows = await tx`
          update public.feature_flags
             set enabled = coalesce(${change.enabled ?? null}::boolean, enabled),
                 rollout_percentage = coalesce(${change.rolloutPercentage ?? null}::numeric, rollout_percentage)
           where key = ${key}
          returning key, description, enabled, rollout_percentage::float8 as rollout_percentage, bucket_group,
                    updated_at, updated_by`;
        return rows[0] ?? null;
      }) as Promise<Record<string, unknown> | null>;
      const row = await withTimeout(`updating flag ${key}`, timeoutMs * 4, work);
      if (!row) return null;
      return {
        key: String(row.key),
        description: String(row.description),
        enabled: row.enabled === true,
        rolloutPercentage: Number(row.rollout_percentage),
        bucketGroup: String(row.bucket_group),
        updatedAt: new Date(row.updated_at as string).toISOString(),
        updatedBy: String(row.updated_by),
      };
    },

    async ping() {
      await withTimeout("ping", timeoutMs, sql`select 1 as reachable`);
    },
  };
}
