// Every transaction the ops tool opens goes through here, so none is left open or half done: the
// callback's throw rolls
// the transaction back and is rethrown; a trial run always rolls back and returns what it saw.
// A commit whose answer is lost is settled on a new connection (truthful-transaction.ts): the
// operator is told committed, not applied, or "outcome unknown" with the state read back.
import {
  runTruthfully,
  TransactionOutcomeUnknown,
  withinMs,
  type FreshConnection,
  type TruthfulSql,
} from "../../functions/_shared/truthful-transaction.ts";
import type { Sql, TransactionSql } from "../shared/database.ts";

export interface CommitSettling {
  /** A new connection to the same database, to ask what became of an unanswered COMMIT. */
  freshConnection?: () => FreshConnection;
  /** Describes the state the write was changing, read on a new connection when the outcome is unknown. */
  readBack?: (sql: TruthfulSql) => Promise<string>;
  /** Give up on a session that does not answer within this long (runTruthfully's deadline). */
  deadlineMs?: number;
}

/** How long the state is read back for an operator told the outcome is unknown. */
const READ_BACK_TIMEOUT_MS = 5_000;

/**
 * Commits when fn returns, rolls back and rethrows when it throws (postgres.js sql.begin). A failed
 * COMMIT is settled: resolved when the server committed, TransactionNotApplied when it did not,
 * TransactionOutcomeUnknown (with the state read back, when it can be) when it cannot be told.
 */
export async function inTransaction<T>(sql: Sql, fn: (tx: TransactionSql) => Promise<T>, settling: CommitSettling = {}): Promise<T> {
  try {
    return await runTruthfully(sql as unknown as TruthfulSql, fn as unknown as (tx: TruthfulSql) => Promise<T>, settling);
  } catch (error) {
    if (!(error instanceof TransactionOutcomeUnknown) || !settling.readBack || !settling.freshConnection) throw error;
    let state: string;
    const fresh = settling.freshConnection();
    try {
      const readBack = settling.readBack(fresh.sql);
      state = `read back on a new connection: ${await withinMs(READ_BACK_TIMEOUT_MS, `no answer within ${READ_BACK_TIMEOUT_MS} ms`, readBack)}`;
    } catch (readError) {
      state = `reading it back failed too: ${readError instanceof Error ? readError.message : String(readError)}`;
    } finally {
      await fresh.end().catch(() => {});
    }
    throw new TransactionOutcomeUnknown(`${error.message}; ${state}`, error.xid);
  }
}

class TrialRollback extends Error {
  constructor(readonly value: unknown) {
    super("trial transaction rolled back on purpose");
  }
}

/** Runs fn in a transaction that is always rolled back, returning fn's result (or its throw). */
export async function inRolledBackTransaction<T>(sql: Sql, fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
  try {
    await sql.begin(async (tx) => {
      throw new TrialRollback(await fn(tx));
    });
  } catch (error) {
    if (error instanceof TrialRollback) return error.value as T;
    throw error;
  }
  throw new Error("unreachable: a trial transaction committed");
}

/** The advisory lock that serializes ops runs on one database (any two-int key would do). */
export const OPS_LOCK_KEY = "reliability-rollout-kit.ops";

export class OpsLockBusy extends Error {
  constructor(operation: string) {
    super(`another ops run holds the ops lock on this database; ${operation} did not start. Wait for it to finish (see pg_locks where locktype = 'advisory') and run again.`);
  }
}

/**
 * Holds the ops lock on this connection for a run that spans several transactions and CLI calls
 * (deploy, rollback); released when fn ends, or by the server if the process dies.
 */
export async function withSessionOpsLock<T>(sql: Sql, operation: string, fn: () => Promise<T>): Promise<T> {
  const [row] = await sql`select pg_catalog.pg_try_advisory_lock(pg_catalog.hashtext(${OPS_LOCK_KEY})) as locked`;
  if (!row?.locked) throw new OpsLockBusy(operation);
  try {
    return await fn();
  } finally {
    await sql`select pg_catalog.pg_advisory_unlock(pg_catalog.hashtext(${OPS_LOCK_KEY}))`;
  }
}

/** Takes the ops lock for the rest of the transaction, so two ops runs never interleave; refuses at once when it is held. */
export async function takeOpsLock(tx: TransactionSql, operation: string): Promise<void> {
  const [row] = await tx`select pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext(${OPS_LOCK_KEY})) as locked`;
  if (!row?.locked) throw new OpsLockBusy(operation);
}
