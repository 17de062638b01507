// The one path of an ops command's write: under --dry-run the same callback runs in a transaction
// that always rolls back (so the trial runs exactly the statements the commit would); otherwise it
// commits, and the operator is told the truth about it (scripts/ops/transaction.ts): committed,
// provably not applied, or "outcome unknown" with the state read back on a new connection.
//
// A deadline bounds a committed write, so a stalled session (a network partition, a pooler that
// stopped answering) cannot hang the operator for ever: when it passes before COMMIT was sent,
// the write is abandoned (never committed); after, it is settled on a new connection. Inside the
// transaction the server is told the same limit (idle_in_transaction_session_timeout), so a
// session abandoned while stalled does not keep the ops lock and its row locks once it idles.
import type { TransactionSql } from "../shared/database.ts";
import { inRolledBackTransaction, inTransaction } from "./transaction.ts";
import type { TruthfulSql } from "../../functions/_shared/truthful-transaction.ts";
import type { OpsContext } from "./command.ts";

export interface OpsWriteOptions {
  /** --dry-run: run it all, then roll back. */
  dryRun: boolean;
  /** Describes what the write changes, read back when its outcome is unknown. */
  readBack?: (sql: TruthfulSql) => Promise<string>;
  /**
   * false: no deadline (a rollback script may rightly run for long; its step prints progress).
   * Default: the ops write deadline (OPS_WRITE_TIMEOUT).
   */
  deadline?: false;
}

export async function opsWrite<T>(ctx: OpsContext, options: OpsWriteOptions, fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
  const deadlineMs = options.deadline === false ? undefined : ctx.settings.writeTimeoutMs;
  const write = deadlineMs === undefined ? fn : async (tx: TransactionSql) => {
    await tx`select pg_catalog.set_config('idle_in_transaction_session_timeout', ${`${Math.ceil(deadlineMs)}ms`}, true)`;
    return fn(tx);
  };
  if (options.dryRun) return inRolledBackTransaction(ctx.sql(), write);
  return inTransaction(ctx.sql(), write, { freshConnection: ctx.freshConnection, readBack: options.readBack, deadlineMs });
}
