// A small worker helper for app code: claim jobs, run each with heartbeats that stop the handler
// when the job is no longer the worker's, then complete or fail it; survive the database going
// away for a while; shut down cleanly.
//
//   const worker = createJobWorker(sql, { workerId: `billing-${process.pid}-${Date.now()}` });
//   process.once("SIGTERM", () => void worker.shutdown());
//   while (!worker.stopping) {
//     for (const job of await worker.claim({ limit: 5 })) {
//       await worker.run(job, async (job, signal) => { ...; signal.throwIfAborted(); ... });
//     }
//   }
//
// What it guarantees (docs/jobs-guarantees.md):
//   - every job it holds heartbeats, waiting ones included, from claim to the end of its run;
//   - calls that fail for a transient reason (connection closed or reset, server shutting down,
//     serialization failure, ...) are retried with capped exponential backoff and full jitter, so
//     run() never throws for them; after giveUpAfterMs it returns { kind: "abandoned" } and leaves
//     the job to the watchdog (its lease or its heartbeat runs out, and it is requeued);
//   - a connection terminated under it costs retries, never the process (close-safe-begin.ts; the
//     app's client should have fetch_types: false, docs/jobs-guarantees.md says why);
//   - a handler may return an effect (tx) => ...: it runs in the transaction that completes the
//     job, so the effect commits exactly when the completion does: never twice, never lost;
//   - shutdown(): claim() returns nothing more, jobs held but not started are handed back at once
//     (pending, attempt not counted), running ones finish, then it resolves.
// The database decides everything that matters (ownership, flags, retry or dead-letter).
import type { Sql, TransactionSql } from "postgres";
import {
  claimJobs,
  completeJob,
  failJob,
  heartbeatJob,
  releaseJob,
  type ClaimedJob,
  type FailOutcome,
  type HeartbeatResult,
} from "./job-rpc.ts";
import { backoffDelayMs, DEFAULT_BACKOFF, isTransientError, type BackoffPolicy } from "./transient-errors.ts";
import { beginCloseSafe } from "../functions/_shared/close-safe-begin.ts";

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

/** A database call kept failing for a transient reason for longer than giveUpAfterMs. */
export class DatabaseUnreachableError extends Error {
  override name = "DatabaseUnreachableError";
  constructor(what: string, readonly lastError: unknown) {
    super(`${what}: the database stayed unreachable (${lastError instanceof Error ? lastError.message : String(lastError)})`);
  }
}

export interface JobWorkerOptions {
  /** Unique per worker process (and per restart): the database refuses calls from other ids. */
  workerId: string;
  /**
   * How often every held job heartbeats. Default 30 s: with the watchdog's default 5-minute
   * threshold a worker may miss 9 heartbeats in a row before its job is taken. Must be well under
   * the watchdog threshold. Each recorded heartbeat is one row update (docs/jobs-and-dlq.md, "Heartbeat write cost").
   */
  heartbeatIntervalMs?: number;
  /** Retry delay after attempt n fails (retryable errors). Default: 2^n seconds, at most 5 minutes. */
  retryDelayMs?: (attempt: number) => number;
  /** Delays between tries of a call that failed for a transient reason. Default 100 ms doubling to 10 s. */
  backoff?: BackoffPolicy;
  /** Stop retrying a call after this long (default 10 minutes) and leave the job to the watchdog. */
  giveUpAfterMs?: number;
  /** Called when a heartbeat call itself fails (network): the job goes on, the next beat retries. */
  onHeartbeatError?: (error: unknown, job: ClaimedJob) => void;
  /** Called before each retry of a call that failed for a transient reason. */
  onTransientError?: (error: unknown, what: string, retryInMs: number) => void;
  /** Random source for the jitter (tests pin it). */
  random?: () => number;
}

export type JobRunOutcome =
  | { kind: "completed" }
  | { kind: "failed"; outcome: Exclude<FailOutcome, "not_owned">; error: unknown }
  /** Reclaimed, cancelled, finished or gone: the handler's result (or error) was dropped. */
  | { kind: "lost"; reason: HeartbeatResult["reason"] }
  /** Handed back without running (the worker is shutting down): pending again, attempt not counted. */
  | { kind: "released" }
  /** The result could not be recorded: the database stayed unreachable. The watchdog rescues the job. */
  | { kind: "abandoned"; error: unknown };

/** Returned by a handler: runs in the transaction that completes the job (nothing runs if it is lost). */
export type CompletionEffect = (tx: TransactionSql) => Promise<void>;
export type JobHandler<Payload> = (job: ClaimedJob<Payload>, signal: AbortSignal) => Promise<void | CompletionEffect>;

export interface JobWorker {
  readonly workerId: string;
  /** True once shutdown() was called: claim() returns no more jobs. */
  readonly stopping: boolean;
  /** Jobs claimed and not finished yet (waiting or running). */
  readonly held: number;
  claim<Payload = unknown>(options?: { limit?: number; jobTypes?: string[] }): Promise<ClaimedJob<Payload>[]>;
  run<Payload>(job: ClaimedJob<Payload>, handler: JobHandler<Payload>): Promise<JobRunOutcome>;
  /** Stop claiming, hand back jobs not started, let running ones finish; resolves when none is held. */
  shutdown(): Promise<void>;
}

const defaultRetryDelay = (attempt: number) => Math.min(2 ** attempt * 1000, 300_000);

interface HeldJob {
  job: ClaimedJob<unknown>;
  lost?: HeartbeatResult["reason"];
  controller?: AbortController;
  finished?: Promise<unknown>;
}

/** The handler's result was refused: roll the completion's transaction (and its effect) back. */
class NotOwned extends Error {}

export function createJobWorker(sql: Sql, options: JobWorkerOptions): JobWorker {
  const workerId = options.workerId;
  if (!workerId.trim()) throw new Error("createJobWorker: workerId must be a non-empty string");
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 30_000;
  if (!(heartbeatIntervalMs > 0)) throw new Error("createJobWorker: heartbeatIntervalMs must be positive");
  // The server skips a heartbeat younger than this, so a burst of calls writes once.
  const minIntervalMs = Math.floor(heartbeatIntervalMs / 2);
  const retryDelayMs = options.retryDelayMs ?? defaultRetryDelay;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const giveUpAfterMs = options.giveUpAfterMs ?? 600_000;
  const random = options.random ?? Math.random;

  const held = new Map<string, HeldJob>();
  let stopping = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  let beating: Promise<void> = Promise.resolve();

  /** Runs call, retrying transient failures; other errors are thrown at once. */
  async function retrying<T>(what: string, call: () => Promise<T>): Promise<T> {
    const started = Date.now();
    for (let retry = 0; ; retry++) {
      try {
        return await call();
      } catch (error) {
        if (!isTransientError(error)) throw error;
        if (Date.now() - started >= giveUpAfterMs) throw new DatabaseUnreachableError(what, error);
        const delay = backoffDelayMs(retry, backoff, random);
        options.onTransientError?.(error, what, delay);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  // One loop heartbeats every held job, waiting ones included: a job claimed in a batch is the
  // worker's from the claim on, and the watchdog must not take it while it waits its turn.
  const beatAll = async () => {
    for (const entry of [...held.values()]) {
      if (entry.lost !== undefined) continue;
      try {
        const result = await heartbeatJob(sql, workerId, entry.job, minIntervalMs);
        if (!result.owned && entry.lost === undefined) {
          entry.lost = result.reason;
          entry.controller?.abort(new JobLostError(result.reason));
        }
      } catch (error) {
        options.onHeartbeatError?.(error, entry.job);
      }
    }
  };
  const hold = (job: ClaimedJob<unknown>) => {
    held.set(job.id, { job });
    if (!timer) {
      timer = setInterval(() => {
        beating = beating.then(beatAll);
      }, heartbeatIntervalMs);
    }
  };
  const letGo = (id: string) => {
    held.delete(id);
    if (held.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  async function claim<Payload>(claimOptions?: { limit?: number; jobTypes?: string[] }): Promise<ClaimedJob<Payload>[]> {
    if (stopping) return [];
    let jobs: ClaimedJob<Payload>[];
    try {
      jobs = await retrying("claim_jobs", () => claimJobs<Payload>(sql, workerId, claimOptions));
    } catch (error) {
      // Unreachable for longer than giveUpAfterMs: nothing claimed that we know of; try again later.
      if (error instanceof DatabaseUnreachableError) return [];
      throw error;
    }
    for (const job of jobs) hold(job as ClaimedJob<unknown>);
    return jobs;
  }

  async function run<Payload>(job: ClaimedJob<Payload>, handler: JobHandler<Payload>): Promise<JobRunOutcome> {
    let entry = held.get(job.id);
    if (!entry) {
      // Handed back by shutdown() before its turn came.
      if (stopping) return { kind: "released" };
      hold(job as ClaimedJob<unknown>);
      entry = held.get(job.id)!;
    }
    const current = entry;
    const outcome = runHeld(job, current, handler);
    current.finished = outcome;
    try {
      return await outcome;
    } finally {
      letGo(job.id);
    }
  }

  async function runHeld<Payload>(job: ClaimedJob<Payload>, entry: HeldJob, handler: JobHandler<Payload>): Promise<JobRunOutcome> {
    if (entry.lost !== undefined) return { kind: "lost", reason: entry.lost };
    const controller = new AbortController();
    entry.controller = controller;

    let handlerError: unknown;
    let handlerFailed = false;
    let effect: void | CompletionEffect = undefined;
    try {
      effect = await handler(job, controller.signal);
    } catch (error) {
      handlerFailed = true;
      handlerError = error;
    }
    if (entry.lost !== undefined) return { kind: "lost", reason: entry.lost };

    // A transient failure may hide a call that committed: when the database then says the job is
    // no longer ours, ask it why (one more call), and count a finished job as our own completion.
    let triedBefore = false;
    const whyLost = async (finishedMeans: JobRunOutcome): Promise<JobRunOutcome> => {
      const verdict = await retrying("heartbeat_job", () => heartbeatJob(sql, workerId, job, minIntervalMs));
      if (triedBefore && verdict.reason === "finished") return finishedMeans;
      return { kind: "lost", reason: verdict.owned ? "reclaimed" : verdict.reason };
    };
    const once = <T>(call: () => Promise<T>) => async () => {
      try {
        return await call();
      } catch (error) {
        if (isTransientError(error)) triedBefore = true;
        throw error;
      }
    };

    try {
      if (!handlerFailed) {
        const complete = typeof effect === "function"
          ? once(() => completeWithEffect(job, effect as CompletionEffect))
          : once(() => completeJob(sql, workerId, job));
        return (await retrying("complete_job", complete)) ? { kind: "completed" } : await whyLost({ kind: "completed" });
      }
      const message = handlerError instanceof Error ? handlerError.message : String(handlerError);
      const outcome = await retrying("fail_job", once(() => failJob(sql, workerId, job, message, {
        retryable: !(handlerError instanceof NonRetryableJobError),
        retryDelayMs: retryDelayMs(job.attempt),
        details: {
          name: handlerError instanceof Error ? handlerError.name : typeof handlerError,
          stack: handlerError instanceof Error ? handlerError.stack : undefined,
        },
      })));
      return outcome === "not_owned" ? await whyLost({ kind: "lost", reason: "finished" }) : { kind: "failed", outcome, error: handlerError };
    } catch (error) {
      if (error instanceof DatabaseUnreachableError) return { kind: "abandoned", error };
      throw error;
    }
  }

  /**
   * complete_job and the handler's effect in one transaction: both commit, or neither. Through
   * beginCloseSafe: with plain sql.begin, a connection that closes under the transaction makes
   * postgres.js write the ROLLBACK to a closed socket and end the process (see that file).
   */
  async function completeWithEffect(job: ClaimedJob<unknown>, effect: CompletionEffect): Promise<boolean> {
    try {
      await beginCloseSafe(sql, async (tx: TransactionSql) => {
        if (!(await completeJob(tx as unknown as Sql, workerId, job))) throw new NotOwned();
        await effect(tx);
      });
      return true;
    } catch (error) {
      if (error instanceof NotOwned) return false;
      throw error;
    }
  }

  async function shutdown(): Promise<void> {
    stopping = true;
    const running: Promise<unknown>[] = [];
    for (const [id, entry] of [...held]) {
      if (entry.finished) {
        running.push(entry.finished.catch(() => {}));
        continue;
      }
      // Claimed, not started: hand it back now rather than make it wait for the watchdog.
      letGo(id);
      await retrying("release_job", () => releaseJob(sql, workerId, entry.job)).catch(() => {});
    }
    await Promise.all(running);
    await beating;
  }

  return {
    workerId,
    get stopping() {
      return stopping;
    },
    get held() {
      return held.size;
    },
    claim,
    run,
    shutdown,
  };
}
