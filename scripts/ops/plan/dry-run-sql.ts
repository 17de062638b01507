// The SQL a dry run executes, built by pure functions so that `dry-run --print-sql` shows exactly
// what runs, with no second code path that could differ from it. A dry run applies every pending migration inside ONE transaction that
// is rolled back. CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction block, so here
// they become plain CREATE/DROP INDEX: the same index, built under a SHARE lock instead of online.
// The live push (the Supabase CLI) still builds them concurrently.

export interface PendingMigrationSql {
  version: string;
  fileName: string;
  sql: string;
}

export interface DryRunStep extends PendingMigrationSql {
  /** One line per statement changed to run inside the transaction. */
  rewrites: string[];
}

export interface DryRunPlan {
  /** Runs first in the transaction: the time bounds. */
  preamble: string;
  steps: DryRunStep[];
}

const CONCURRENTLY = /\b((?:create\s+(?:unique\s+)?|drop\s+)index\s+)concurrently\s+/gi;

/** Rewrites CONCURRENTLY index statements to their in-transaction form; comment lines untouched. */
export function rewriteForTransaction(sql: string): { sql: string; rewrites: string[] } {
  const rewrites: string[] = [];
  const lines = sql.split("\n").map((line, i) => {
    if (line.trimStart().startsWith("--") || !CONCURRENTLY.test(line)) return line;
    CONCURRENTLY.lastIndex = 0;
    const rewritten = line.replace(CONCURRENTLY, (_all, head: string) => head);
    rewrites.push(`line ${i + 1}: ${line.trim()}  →  ${rewritten.trim()}`);
    return rewritten;
  });
  CONCURRENTLY.lastIndex = 0;
  return { sql: lines.join("\n"), rewrites };
}

/** `set local` bounds: a lock wait or a slow statement fails the dry run instead of hanging it. */
export function timeoutPreamble(lockTimeoutMs: number, statementTimeoutMs: number): string {
  const ms = (value: number, name: string) => {
    if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number of milliseconds`);
    return `'${value}ms'`;
  };
  return [
    `set local lock_timeout = ${ms(lockTimeoutMs, "lock_timeout")};`,
    `set local statement_timeout = ${ms(statementTimeoutMs, "statement_timeout")};`,
  ].join("\n");
}

export function planDryRun(pending: PendingMigrationSql[], lockTimeoutMs: number, statementTimeoutMs: number): DryRunPlan {
  return {
    preamble: timeoutPreamble(lockTimeoutMs, statementTimeoutMs),
    steps: pending.map((migration) => ({ ...migration, ...rewriteForTransaction(migration.sql) })),
  };
}

/** The whole transaction as text, for --print-sql. */
export function renderDryRun(plan: DryRunPlan): string {
  return [
    "begin;",
    plan.preamble,
    ...plan.steps.map((step) => `-- ${step.fileName}${step.rewrites.length ? ` (rewritten: ${step.rewrites.length} concurrent index statement(s))` : ""}\n${step.sql.trim()}`),
    "rollback;",
  ].join("\n");
}
