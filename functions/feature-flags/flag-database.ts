// The function's only SQL: read the flags table, change one flag (audited), and ping.
//
// The client is postgres.js created in index.ts with `prepare: false` (Supabase's transaction
// pooler cannot keep prepared statements) and one connection (an edge isolate serves one request
// at a time; PGlite, the local default, is a single session anyway). It is loaded after the
// function's first answer: that first read is first-read.ts's, with the same SQL and row mapping
// (flags-read.ts).

import type { FlagDefinition } from "../_shared/rollout.ts";
import { DatabaseTimeoutError, READ_FLAGS_SQL, READ_FLAGS_TASK, flagDefinitionOf } from "./flags-read.ts";
import {
  runTruthfully,
  TransactionNotApplied,
  TransactionOutcomeUnknown,
  type FreshConnection,
  type TruthfulSql,
} from "../_shared/truthful-transaction.ts";

/** The part of a postgres.js client used here. */
export interface SqlClient {
  // deno-lint-ignore no-explicit-any
  (template: TemplateStringsArray, ...parameters: any[]): PromiseLike<ReadonlyArray<Record<string, unknown>>>;
  begin<T>(callback: (tx: SqlClient) => Promise<T>): Promise<unknown>;
  unsafe(query: string): PromiseLike<ReadonlyArray<Record<string, unknown>>>;
}

export interface FlagRecord extends FlagDefinition {
  description: string;
  updatedAt: string;
  updatedBy: string;
}

/** What a PATCH request sets on the flag its path names: the fields given, nothing else. */
export interface FlagPatch {
  enabled?: boolean;
  rolloutPercentage?: number;
}

/**
 * What became of a change, never a guess: applied; no such flag; provably not applied; or unknown
 * (the database could not be asked), with the flag as read back on a fresh connection if it could be.
 */
export type FlagWriteResult =
  | { outcome: "applied"; flag: FlagRecord }
  | { outcome: "not_found" }
  | { outcome: "not_applied"; reason: string }
  | { outcome: "unknown"; reason: string; flag: FlagRecord | null };

export interface FlagDatabase {
  readFlags(): Promise<FlagDefinition[]>;
  updateFlag(key: string, change: FlagPatch, actor: string): Promise<FlagWriteResult>;
  ping(): Promise<void>;
}

/** Fails after timeoutMs, so a hanging database counts as unreachable instead of hanging callers. */
export function withTimeout<T>(what: string, timeoutMs: number, work: PromiseLike<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeoutError(what, timeoutMs)), timeoutMs);
  });
  return Promise.race([Promise.resolve(work), timeout]).finally(() => clearTimeout(timer));
}

/**
 * freshConnection opens a new connection to the same database, used only to settle a change whose
 * COMMIT got no answer; without it such a change is reported as unknown.
 */
export function createFlagDatabase(sql: SqlClient, timeoutMs: number, freshConnection?: () => FreshConnection): FlagDatabase {
  async function readBack(key: string): Promise<FlagRecord | null> {
    if (!freshConnection) return null;
    const fresh = freshConnection();
    try {
      const rows = await withTimeout(`reading flag ${key} back`, timeoutMs, fresh.sql`
        select key, description, enabled, rollout_percentage::float8 as rollout_percentage, bucket_group,
                 updated_at, updated_by
          from public.feature_flags where key = ${key}`);
      return rows[0] ? flagRecord(rows[0]) : null;
    } finally {
      await fresh.end().catch(() => {});
    }
  }

  return {
    async readFlags() {
      const rows = await withTimeout(READ_FLAGS_TASK, timeoutMs, sql.unsafe(READ_FLAGS_SQL));
      return rows.map(flagDefinitionOf);
    },

    async updateFlag(key, change, actor) {
      const write = async (tx: TruthfulSql) => {
        // The audit trigger records audit.actor; `set_config(..., true)` is `set local`:
        // it ends with this transaction, so it cannot leak to the next user of the connection.
        // The time limits make the server itself end a transaction whose client went quiet.
        await tx`select set_config('audit.actor', ${actor}, true),
                        set_config('lock_timeout', ${`${timeoutMs}ms`}, true),
                        set_config('statement_timeout', ${`${timeoutMs * 2}ms`}, true),
                        set_config('idle_in_transaction_session_timeout', ${`${timeoutMs * 2}ms`}, true)`;
        const rows = await tx`
          update public.feature_flags
             set enabled = coalesce(${change.enabled ?? null}::boolean, enabled),
                 rollout_percentage = coalesce(${change.rolloutPercentage ?? null}::numeric, rollout_percentage)
           where key = ${key}
          returning key, description, enabled, rollout_percentage::float8 as rollout_percentage, bucket_group,
                    updated_at, updated_by`;
        return rows[0] ?? null;
      };
      try {
        const row = await runTruthfully(sql as unknown as TruthfulSql, write, {
          deadlineMs: timeoutMs * 4,
          freshConnection,
          settleTimeoutMs: timeoutMs,
        });
        return row ? { outcome: "applied", flag: flagRecord(row) } : { outcome: "not_found" };
      } catch (error) {
        if (error instanceof TransactionOutcomeUnknown) {
          return { outcome: "unknown", reason: error.message, flag: await readBack(key).catch(() => null) };
        }
        return { outcome: "not_applied", reason: error instanceof TransactionNotApplied ? error.message : describe(error) };
      }
    },

    async ping() {
      await withTimeout("ping", timeoutMs, sql`select 1 as reachable`);
    },
  };
}

function flagRecord(row: Record<string, unknown>): FlagRecord {
  return {
    key: String(row.key),
    description: String(row.description),
    enabled: row.enabled === true,
    rolloutPercentage: Number(row.rollout_percentage),
    bucketGroup: String(row.bucket_group),
    updatedAt: new Date(row.updated_at as string).toISOString(),
    updatedBy: String(row.updated_by),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
