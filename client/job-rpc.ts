// Typed calls to the worker RPCs in the database (supabase/migrations/20261125100610_*, 100700_*).
// Thin on purpose: the rules (ownership, flags, dead-lettering) live in SQL, where every worker,
// the watchdog and pg_cron share them. Uses postgres.js with the service_role connection
// (SUPABASE_DB_URL); with supabase-js the same functions are `supabase.rpc(name, { ...args })`.
import type { Sql } from "postgres";

export interface ClaimedJob<Payload = unknown> {
  id: string;
  jobType: string;
  payload: Payload;
  /** This claim's attempt number (1 on the first run); passed back so a later claim is told apart. */
  attempt: number;
  maxAttempts: number;
  /**
   * The subject feature flags bucket this job by (its tenant, else its own id), as the database
   * computes it for this table's shape (public.job_subject): what the worker RPCs and the
   * watchdog act on, whatever the tenant column is called, or if there is none.
   */
  subject: string;
}

/** Why a heartbeat wrote nothing or the job is no longer the worker's. */
export type HeartbeatReason = "recorded" | "throttled" | "flag_off" | "reclaimed" | "cancelled" | "finished" | "gone";

export interface HeartbeatResult {
  /** false: stop working on the job, it is no longer this worker's. */
  owned: boolean;
  recorded: boolean;
  reason: HeartbeatReason;
}

export type FailOutcome = "retry_scheduled" | "dead_lettered" | "failed" | "not_owned";

export interface FailOptions {
  /** false: fail for good now, whatever attempts are left (e.g. invalid payload). Default true. */
  retryable?: boolean;
  retryDelayMs?: number;
  details?: Record<string, unknown>;
}

interface JobRow {
  id: string;
  job_type: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
  subject: string;
}

function toClaimedJob<Payload>(row: JobRow): ClaimedJob<Payload> {
  return {
    id: row.id,
    jobType: row.job_type,
    payload: row.payload as Payload,
    attempt: row.attempts,
    maxAttempts: row.max_attempts,
    subject: row.subject,
  };
}

export async function claimJobs<Payload = unknown>(
  sql: Sql,
  workerId: string,
  options: { limit?: number; jobTypes?: string[] } = {},
): Promise<ClaimedJob<Payload>[]> {
  // The job types travel as JSON and become a text[] in the server: a JS array parameter needs
  // the array types postgres.js fetches on each new connection, and a worker's client is best
  // created with fetch_types: false (docs/jobs-and-dlq.md, "The worker helper", says why).
  const jobTypes = options.jobTypes === undefined ? null : sql.json(options.jobTypes);
  const rows = await sql<JobRow[]>`
    select job.id::text as id, job.job_type, job.payload, job.attempts, job.max_attempts, public.job_subject(job) as subject
    from public.claim_jobs(${workerId}, ${options.limit ?? 1},
      case when ${jobTypes}::jsonb is null then null else array(select jsonb_array_elements_text(${jobTypes}::jsonb)) end) as job`;
  return rows.map((row) => toClaimedJob<Payload>(row));
}

export async function heartbeatJob(
  sql: Sql,
  workerId: string,
  job: Pick<ClaimedJob, "id" | "attempt">,
  minIntervalMs: number,
): Promise<HeartbeatResult> {
  const [row] = await sql<HeartbeatResult[]>`
    select owned, recorded, reason
    from public.heartbeat_job(${job.id}, ${workerId}, ${job.attempt}, ${`${minIntervalMs} milliseconds`}::interval)`;
  return row!;
}

export async function completeJob(sql: Sql, workerId: string, job: Pick<ClaimedJob, "id" | "attempt">): Promise<boolean> {
  const [row] = await sql<{ completed: boolean }[]>`
    select public.complete_job(${job.id}, ${workerId}, ${job.attempt}) as completed`;
  return row!.completed;
}

/** Hands back a claimed job that was not started: pending, attempt not counted. false: no longer ours. */
export async function releaseJob(sql: Sql, workerId: string, job: Pick<ClaimedJob, "id" | "attempt">): Promise<boolean> {
  const [row] = await sql<{ released: boolean }[]>`
    select public.release_job(${job.id}, ${workerId}, ${job.attempt}) as released`;
  return row!.released;
}

export async function failJob(
  sql: Sql,
  workerId: string,
  job: Pick<ClaimedJob, "id" | "attempt">,
  errorMessage: string,
  options: FailOptions = {},
): Promise<FailOutcome> {
  const [row] = await sql<{ outcome: FailOutcome }[]>`
    select public.fail_job(
      ${job.id}, ${workerId}, ${errorMessage}, ${sql.json((options.details ?? {}) as never)},
      ${options.retryable ?? true}, ${`${options.retryDelayMs ?? 0} milliseconds`}::interval, ${job.attempt}
    ) as outcome`;
  return row!.outcome;
}

export interface ReclaimedJob {
  jobId: string;
  outcome: "requeued" | "dead_lettered" | "failed";
  /** The attempt that was taken away. */
  attempt: number;
  /** The worker that held it. */
  workerId: string | null;
  /** Its last heartbeat, else its start: when the worker was last seen working on it. */
  lastSeenAt: Date;
}

interface ReclaimedRow {
  job_id: string;
  outcome: ReclaimedJob["outcome"];
  attempt: number;
  worker_id: string | null;
  last_seen_at: Date;
}

/** One watchdog pass (what pg_cron runs every minute). */
export async function reclaimStaleJobs(sql: Sql, options: { staleAfterMs?: number; batchSize?: number } = {}): Promise<ReclaimedJob[]> {
  const rows = await sql<ReclaimedRow[]>`
    select job_id, outcome, attempt, worker_id, last_seen_at
    from public.reclaim_stale_jobs(${`${options.staleAfterMs ?? 300_000} milliseconds`}::interval, ${options.batchSize ?? 500})`;
  return rows.map((row) => ({ jobId: row.job_id, outcome: row.outcome, attempt: row.attempt, workerId: row.worker_id, lastSeenAt: row.last_seen_at }));
}
