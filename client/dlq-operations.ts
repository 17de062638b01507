// Typed calls to the dead-letter queue operations (supabase/migrations/20261125100910_*).
// Who acted is recorded by the database: the JWT subject, else the session setting
// audit.actor (pass `actor` here to set it for the call), else the database role.
import type { Sql, TransactionSql } from "postgres";

export type RetryOutcome = "requeued" | "already_queued" | "already_completed" | "not_pending";
export type DiscardOutcome = "discarded" | "not_pending";

export interface RedriveFilter {
  /** null or absent: every job type. */
  jobType?: string | null;
  /** Entries whose last failure is at or after this instant (absent: unbounded). */
  failedFrom?: Date | null;
  /** ... and before this one (absent: unbounded). */
  failedTo?: Date | null;
}

export interface RedriveProgress {
  batches: number;
  requeued: number;
  /** Entries whose job was already in qc_jobs (queued or completed): not enqueued again. */
  skipped: number;
}

async function asActor<T>(sql: Sql, actor: string | undefined, body: (tx: TransactionSql) => Promise<T>): Promise<T> {
  return (await sql.begin(async (tx) => {
    if (actor !== undefined) await tx`select set_config('audit.actor', ${actor}, true)`;
    return body(tx);
  })) as T;
}

export async function retryDeadLetter(sql: Sql, entryId: string, options: { note?: string; actor?: string } = {}): Promise<RetryOutcome> {
  return asActor(sql, options.actor, async (tx) => {
    const [row] = await tx<{ outcome: RetryOutcome }[]>`select public.dlq_retry_entry(${entryId}, ${options.note ?? null}) as outcome`;
    return row!.outcome;
  });
}

export async function discardDeadLetter(sql: Sql, entryId: string, reason: string, options: { actor?: string } = {}): Promise<DiscardOutcome> {
  return asActor(sql, options.actor, async (tx) => {
    const [row] = await tx<{ outcome: DiscardOutcome }[]>`select public.dlq_discard_entry(${entryId}, ${reason}) as outcome`;
    return row!.outcome;
  });
}

/**
 * Redrives every pending entry matching the filter, one batch per transaction, until a batch
 * comes back empty. Safe to run twice or from two places at once: each entry's job is enqueued once.
 */
export async function redriveDeadLetters(
  sql: Sql,
  filter: RedriveFilter,
  options: { batchSize?: number; note?: string; actor?: string; onBatch?: (progress: RedriveProgress) => void } = {},
): Promise<RedriveProgress> {
  const progress: RedriveProgress = { batches: 0, requeued: 0, skipped: 0 };
  for (;;) {
    const rows = await asActor(sql, options.actor, (tx) => tx<{ outcome: RetryOutcome }[]>`
      select outcome from public.dlq_redrive(
        ${filter.jobType ?? null}, ${filter.failedFrom ?? null}, ${filter.failedTo ?? null},
        ${options.batchSize ?? 500}, ${options.note ?? null})`);
    if (rows.length === 0) return progress;
    progress.batches++;
    for (const row of rows) {
      if (row.outcome === "requeued") progress.requeued++;
      else progress.skipped++;
    }
    options.onBatch?.({ ...progress });
  }
}
