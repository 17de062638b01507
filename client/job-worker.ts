// A small worker helper for app code: claim jobs, run each with a heartbeat loop that stops the
// handler when the job is no longer the worker's, then complete or fail it.
//
//   const worker = createJobWorker(sql, { workerId: `billing-${process.pid}` });
//   for (const job of await worker.claim({ limit: 5 })) {
//     await worker.run(job, async (job, signal) => { ...; signal.throwIfAborted(); ... });
//   }
//
// The database decides everything that matters (ownership, flags, retry or dead-letter); the
// helper only keeps the calls in the right order. See README, "Worker helper".
import type { Sql } from "postgres";
import {
  claimJobs,
  completeJob,
  failJob,
  heartbeatJob,
  type ClaimedJob,
  type FailOutcome,
  type HeartbeatResult,
} from "./job-rpc.ts";

/** Throw it from a handler to fail the job for good now (no retry), e.g. for an invalid payload. */
export class NonRetryableJobError extends Error {
  override name = "NonRetryableJobError";
}

/** The reason passed to the handler's AbortSignal when the job is taken away from the worker. */
export class JobLostError extends Error {
  override name = "JobLostError";
  constructor(readonly reason: HeartbeatResult["reason"]) {
    super(`the job is no longer this worker's (${reason})`);
  }
}

export interface JobWorkerOptions {
  /** Unique per worker process (and per restart): the database refuses calls from other ids. */
  workerId: string;
  /**
   * How often a running job heartbeats. Default 30 s: with the watchdog's default 5-minute
   * threshold a worker may miss 9 heartbeats in a row before its job is taken. Must be well under
   * the watchdog threshold. Each recorded heartbeat is one row update (README, "Heartbeat write cost").
   */
  heartbeatIntervalMs?: number;
  /** Retry delay after attempt n fails (retryable errors). Default: 2^n seconds, at most 5 minutes. */
  retryDelayMs?: (attempt: number) => number;
  /** Called when a heartbeat call itself fails (network): the job goes on, the next beat retries. */
  onHeartbeatError?: (error: unknown, job: ClaimedJob) => void;
}

export type JobRunOutcome =
  | { kind: "completed" }
  | { kind: "failed"; outcome: Exclude<FailOutcome, "not_owned">; error: unknown }
  /** Reclaimed, cancelled, finished or gone: the handler's result (or error) was dropped. */
  | { kind: "lost"; reason: HeartbeatResult["reason"] };

export type JobHandler<Payload> = (job: ClaimedJob<Payload>, signal: AbortSignal) => Promise<void>;

export interface JobWorker {
  readonly workerId: string;
  claim<Payload = unknown>(options?: { limit?: number; jobTypes?: string[] }): Promise<ClaimedJob<Payload>[]>;
  run<Payload>(job: ClaimedJob<Payload>, handler: JobHandler<Payload>): Promise<JobRunOutcome>;
}

const defaultRetryDelay = (attempt: number) => Math.min(2 ** attempt * 1000, 300_000);

export function createJobWorker(sql: Sql, options: JobWorkerOptions): JobWorker {
  const workerId = options.workerId;
  if (!workerId.trim()) throw new Error("createJobWorker: workerId must be a non-empty string");
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 30_000;
  if (!(heartbeatIntervalMs > 0)) throw new Error("createJobWorker: heartbeatIntervalMs must be positive");
  // The server skips a heartbeat younger than this, so a burst of calls writes once.
  const minIntervalMs = Math.floor(heartbeatIntervalMs / 2);
  const retryDelayMs = options.retryDelayMs ?? defaultRetryDelay;

  async function run<Payload>(job: ClaimedJob<Payload>, handler: JobHandler<Payload>): Promise<JobRunOutcome> {
    const controller = new AbortController();
    let lost: HeartbeatResult["reason"] | undefined;
    let beating: Promise<void> = Promise.resolve();
    const beat = async () => {
      try {
        const result = await heartbeatJob(sql, workerId, job, minIntervalMs);
        if (!result.owned && lost === undefined) {
          lost = result.reason;
          controller.abort(new JobLostError(result.reason));
        }
      } catch (error) {
        options.onHeartbeatError?.(error, job);
      }
    };
    const timer = setInterval(() => {
      beating = beating.then(beat);
    }, heartbeatIntervalMs);

    let handlerError: unknown;
    let handlerFailed = false;
    try {
      await handler(job, controller.signal);
    } catch (error) {
      handlerFailed = true;
      handlerError = error;
    } finally {
      clearInterval(timer);
      await beating;
    }

    if (lost !== undefined) return { kind: "lost", reason: lost };
    // The database refused the completion or failure: ask it why (one more call, only then).
    const whyLost = async (): Promise<JobRunOutcome> => {
      const verdict = await heartbeatJob(sql, workerId, job, minIntervalMs);
      return { kind: "lost", reason: verdict.owned ? "reclaimed" : verdict.reason };
    };
    if (!handlerFailed) {
      return (await completeJob(sql, workerId, job)) ? { kind: "completed" } : whyLost();
    }
    const message = handlerError instanceof Error ? handlerError.message : String(handlerError);
    const outcome = await failJob(sql, workerId, job, message, {
      retryable: !(handlerError instanceof NonRetryableJobError),
      retryDelayMs: retryDelayMs(job.attempt),
      details: {
        name: handlerError instanceof Error ? handlerError.name : typeof handlerError,
        stack: handlerError instanceof Error ? handlerError.stack : undefined,
      },
    });
    return outcome === "not_owned" ? whyLost() : { kind: "failed", outcome, error: handlerError };
  }

  return {
    workerId,
    claim: (claimOptions) => claimJobs(sql, workerId, claimOptions),
    run,
  };
}
