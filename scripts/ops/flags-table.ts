// Reads and writes feature_flags for the ops commands, always inside a caller's transaction
// that holds the ops lock, so a check and the change it allows see the same rows.
import type { TransactionSql, Sql } from "../shared/database.ts";
import { OpsRefusal } from "./command.ts";
import { actorStatement, flagUpdateStatement, renderStatement, type FlagUpdate, type Statement } from "./plan/flag-sql.ts";
import { describeState, type AuditEntry } from "./plan/rollout-phases.ts";
import type { TruthfulSql } from "../../functions/_shared/truthful-transaction.ts";
import type { Reporter } from "./reporter.ts";

export interface FlagRow {
  key: string;
  enabled: boolean;
  rollout_percentage: number;
  bucket_group: string;
  updated_at: Date;
  updated_by: string;
  description: string;
}

export async function flagsTableExists(sql: Sql | TransactionSql): Promise<boolean> {
  const [row] = await sql`select pg_catalog.to_regclass('public.feature_flags') is not null as present`;
  return Boolean(row?.present);
}

export async function requireFlagsTable(sql: Sql | TransactionSql): Promise<void> {
  if (!(await flagsTableExists(sql))) {
    throw new OpsRefusal("public.feature_flags does not exist on the target: deploy the migrations first (npm run ops -- deploy)");
  }
}

export async function readFlags(sql: Sql | TransactionSql): Promise<FlagRow[]> {
  return sql<FlagRow[]>`
    select key, enabled, rollout_percentage::float8 as rollout_percentage, bucket_group, updated_at, updated_by, description
    from public.feature_flags order by key`;
}

export async function readAudit(sql: Sql | TransactionSql, key: string, limit = 1000): Promise<Array<AuditEntry & { actor: string; dbRole: string }>> {
  const rows = await sql<{ operation: AuditEntry["operation"]; old_row: AuditEntry["oldRow"]; new_row: AuditEntry["newRow"]; changed_at: Date; actor: string; db_role: string }[]>`
    select operation, old_row, new_row, changed_at, actor, db_role
    from public.feature_flag_audit where flag_key = ${key}
    order by changed_at desc, id desc limit ${limit}`;
  return rows.map((r) => ({ operation: r.operation, oldRow: r.old_row, newRow: r.new_row, changedAt: r.changed_at, actor: r.actor, dbRole: r.db_role }));
}

/** The statements a change runs; printed before running, and alone under --dry-run. */
export function changeStatements(changes: FlagUpdate[], actor: string): Statement[] {
  return [actorStatement(actor), ...changes.map(flagUpdateStatement)];
}

/** Runs the statements in tx; refuses (rolling everything back) if a flag does not exist. */
export async function applyFlagChanges(tx: TransactionSql, out: Reporter, changes: FlagUpdate[], actor: string): Promise<void> {
  await requireFlagsTable(tx);
  const statements = changeStatements(changes, actor);
  for (const statement of statements) out.line(`  sql   ${renderStatement(statement)}`);
  const [actorSetting, ...updates] = statements;
  await tx.unsafe(actorSetting!.text, actorSetting!.params);
  for (const [i, update] of updates.entries()) {
    const rows = await tx.unsafe(update.text, update.params);
    if (rows.length === 0) throw new OpsRefusal(`flag ${changes[i]!.key} does not exist in public.feature_flags (flags are created by migrations); nothing was changed`);
  }
}

/** Every flag's answers in one line, for an operator told that a change's outcome is unknown. */
export async function describeFlags(sql: TruthfulSql): Promise<string> {
  const rows = await sql`select key, enabled, rollout_percentage::float8 as rollout_percentage from public.feature_flags order by key`;
  return rows.map((f) => `${String(f.key)} ${describeState({ enabled: f.enabled === true, rolloutPercentage: Number(f.rollout_percentage) })}`).join(", ");
}
