// A write transaction whose answer is never wrong about what the database did.
//
// A client that gives up on a transaction (a timeout, a dropped connection) cannot tell from its
// own side whether the server applied it: the session may have been stalled with COMMIT already
// in flight, and commit later. So:
//   - The transaction id is read just before COMMIT (txid_current_if_assigned; null when the
//     transaction wrote nothing). Until then COMMIT has not been sent, and once the client gives up
//     it never sends it: that failure is provably "not applied" (the server rolls the transaction
//     back when the session ends or goes idle past idle_in_transaction_session_timeout).
//   - Once COMMIT may have been sent, a failure or a timeout is settled on a NEW connection with
//     txid_status(xid): committed or aborted. A transaction still in progress (its session
//     stalled) is ended with pg_terminate_backend, which needs the same role or
//     pg_signal_backend, and asked again; if that is not possible in time, the answer is
//     "unknown", never a guess.
//
// Pure of I/O of its own: it drives the caller's postgres.js clients (Node and Deno alike).
import { beginCloseSafe } from "./close-safe-begin.ts";

/** The part of a postgres.js client (or transaction) used here. */
export interface TruthfulSql {
  // deno-lint-ignore no-explicit-any
  (template: TemplateStringsArray, ...parameters: any[]): PromiseLike<ReadonlyArray<Record<string, unknown>>>;
  begin<T>(callback: (tx: TruthfulSql) => Promise<T>): Promise<unknown>;
}

/** A connection opened only to settle an outcome, ended right after. */
export interface FreshConnection {
  sql: TruthfulSql;
  end(): Promise<void>;
}

export interface TruthfulOptions {
  /** Give up on the session after this long (undefined: wait as long as it takes). */
  deadlineMs?: number;
  /** Opens a new connection to the same database; without it an uncertain commit is "unknown". */
  freshConnection?: () => FreshConnection;
  /** How long to spend settling an uncertain commit on the fresh connection. */
  settleTimeoutMs?: number;
}

/** The change provably did not and will not apply. */
export class TransactionNotApplied extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "TransactionNotApplied";
  }
}

/** COMMIT may have been sent and the server could not be asked what became of it. */
export class TransactionOutcomeUnknown extends Error {
  constructor(message: string, readonly xid: string | null) {
    super(message);
    this.name = "TransactionOutcomeUnknown";
  }
}

const DEFAULT_SETTLE_TIMEOUT_MS = 3_000;

/**
 * Runs fn in a transaction and commits it. Resolves with fn's value when the server committed;
 * rejects with fn's own error (nothing applied), TransactionNotApplied, or TransactionOutcomeUnknown.
 */
export async function runTruthfully<T>(sql: TruthfulSql, fn: (tx: TruthfulSql) => Promise<T>, options: TruthfulOptions = {}): Promise<T> {
  // An object, so that each check reads the phase as it is now (the timer changes it).
  const state: { phase: "working" | "abandoned" | "committing" } = { phase: "working" };
  let xid: string | null = null;
  let failedBeforeCommit = false;
  let result: { value: T } | null = null;
  // beginCloseSafe: a session that closes under the transaction must not crash the process.
  const work = beginCloseSafe(sql, async (tx: TruthfulSql) => {
    let value: T;
    try {
      value = await fn(tx);
    } catch (error) {
      failedBeforeCommit = true;
      throw error;
    }
    if (state.phase === "abandoned") throw new TransactionNotApplied("abandoned before COMMIT");
    const [row] = await tx`select pg_catalog.txid_current_if_assigned()::text as xid`;
    // Checked again: the timer may have fired while that answer was on its way.
    if ((state.phase as string) === "abandoned") throw new TransactionNotApplied("abandoned before COMMIT");
    xid = (row?.xid as string | null | undefined) ?? null;
    result = { value };
    state.phase = "committing";
    return value;
  }) as Promise<T>;

  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = options.deadlineMs === undefined ? null : new Promise<"deadline">((resolve) => {
    timer = setTimeout(() => resolve("deadline"), options.deadlineMs);
  });
  // The session may answer long after the deadline; its late answer must not surface as unhandled.
  work.catch(() => {});

  try {
    const first = deadline ? await Promise.race([work, deadline]) : await work;
    if (first !== "deadline") return first as T;
    if (state.phase === "working") {
      state.phase = "abandoned";
      throw new TransactionNotApplied(`no answer from the database within ${options.deadlineMs} ms; the transaction was abandoned before COMMIT and rolls back`);
    }
    return await settle(xid, options, "no answer to COMMIT within the deadline", result!);
  } catch (error) {
    if (error instanceof TransactionNotApplied || error instanceof TransactionOutcomeUnknown) throw error;
    if (failedBeforeCommit) throw error;
    if (state.phase !== "committing") {
      throw new TransactionNotApplied(`the transaction failed before COMMIT: ${describe(error)}`, error);
    }
    return await settle(xid, options, `COMMIT failed: ${describe(error)}`, result!);
  } finally {
    clearTimeout(timer);
  }
}

async function settle<T>(xid: string | null, options: TruthfulOptions, why: string, result: { value: T }): Promise<T> {
  if (xid === null) throw new TransactionNotApplied(`${why}; the transaction had written nothing`);
  const status = await transactionStatus(xid, options);
  if (status === "committed") return result.value;
  if (status === "aborted") throw new TransactionNotApplied(`${why}; the server rolled transaction ${xid} back`);
  throw new TransactionOutcomeUnknown(`${why}; whether transaction ${xid} committed could not be settled (${status})`, xid);
}

/** committed, aborted, or why it could not be told. */
async function transactionStatus(xid: string, options: TruthfulOptions): Promise<"committed" | "aborted" | string> {
  if (!options.freshConnection) return "no connection to ask on";
  const settleTimeoutMs = options.settleTimeoutMs ?? DEFAULT_SETTLE_TIMEOUT_MS;
  const until = Date.now() + settleTimeoutMs;
  let fresh: FreshConnection | undefined;
  try {
    fresh = options.freshConnection();
    for (;;) {
      // The new connection may stall too (the partition goes on): never wait past the settle time.
      const [row] = await withinMs(Math.max(0, until - Date.now()), `no answer on a new connection within ${settleTimeoutMs} ms`, fresh.sql`select pg_catalog.txid_status(${xid}::bigint) as status`);
      const status = row?.status as string | null | undefined;
      if (status === "committed" || status === "aborted") return status;
      if (status !== "in progress") return `txid_status answered ${String(status)}`;
      // Its session is stalled with the transaction open: end it, so it can no longer commit.
      await withinMs(Math.max(0, until - Date.now()), "", fresh.sql`
        select pg_catalog.pg_terminate_backend(a.pid)
          from pg_catalog.pg_stat_activity a
         where a.backend_xid::text = (${xid}::bigint % 4294967296)::text`).then(() => {}, () => {});
      if (Date.now() > until) return "still in progress";
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    return `the fresh connection failed: ${describe(error)}`;
  } finally {
    await fresh?.end().catch(() => {});
  }
}

/** The promise's value, or a rejection with `message` once `ms` have passed. */
export async function withinMs<T>(ms: number, message: string, promise: PromiseLike<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
