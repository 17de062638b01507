// Runs a migration's verification script check by check: each "-- check: <name>" block passes by
// running and fails by raising. Everything runs inside one transaction that is rolled back, so a
// verification never changes the database (a check may write to prove a trigger works).
import type { Sql, TransactionSql } from "../shared/database.ts";
import { readSql, type MigrationFile } from "../shared/migration-files.ts";
import { inRolledBackTransaction } from "./transaction.ts";

export interface VerificationCheck {
  name: string;
  sql: string;
}

export interface CheckResult {
  name: string;
  passed: boolean;
  error?: string;
  /** The check could not run here, and why (it set kit_verify.skipped): neither passed nor failed. */
  skipped?: string;
}

/** Set (transaction-local) by a check that could not run, e.g. the kit's job inserts on a qc_jobs they cannot fill. */
const SKIPPED_SETTING = "kit_verify.skipped";

const CHECK_MARKER = /^--\s*check:\s*(.+)$/gm;

export function parseChecks(script: string): VerificationCheck[] {
  const markers = [...script.matchAll(CHECK_MARKER)];
  if (markers.length === 0) throw new Error("a verification script needs at least one '-- check: <name>' block");
  return markers.map((marker, i) => ({
    name: marker[1]!.trim(),
    sql: script.slice(marker.index! + marker[0].length, markers[i + 1]?.index ?? script.length).trim(),
  }));
}

/** Runs checks inside a caller's transaction, a savepoint each: one failing check does not hide the others. */
export async function runChecks(tx: TransactionSql, checks: VerificationCheck[]): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    try {
      await tx`select pg_catalog.set_config(${SKIPPED_SETTING}, '', true)`;
      await tx.savepoint(async (sp) => sp.unsafe(check.sql).simple());
      const [row] = await tx`select coalesce(pg_catalog.current_setting(${SKIPPED_SETTING}, true), '') as skipped`;
      const skipped = String(row?.skipped ?? "");
      results.push(skipped ? { name: check.name, passed: false, skipped } : { name: check.name, passed: true });
    } catch (error) {
      results.push({ name: check.name, passed: false, error: (error as Error).message });
    }
  }
  return results;
}

export async function verifyMigration(sql: Sql, migration: MigrationFile): Promise<CheckResult[]> {
  const checks = parseChecks(readSql(migration.verifyPath));
  return inRolledBackTransaction(sql, (tx) => runChecks(tx, checks));
}
