// Shared set-up for the job and DLQ tests: a migrated database, flags, jobs.
import type { Sql } from "../../scripts/shared/database.ts";
import { dbPush } from "../../scripts/shared/supabase-cli.ts";
import { createTestDatabase, type TestDatabase } from "./test-database.ts";

export async function createMigratedDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  const result = await dbPush(db.url);
  if (result.exitCode !== 0) {
    await db.drop();
    throw new Error(`supabase db push failed:\n${result.output}`);
  }
  return db;
}

/**
 * Sets a flag, and backdates its change by `changedAgo` so that the watchdog (which waits one
 * threshold after a change of the flag's answers) treats it as settled. The stamp trigger sets
 * updated_at and answers_changed_at, so the backdating runs with that trigger disabled.
 */
export async function setFlag(sql: Sql, key: string, enabled: boolean, rolloutPercentage: number, changedAgo = "1 hour") {
  await sql.begin(async (tx) => {
    await tx`update public.feature_flags set enabled = ${enabled}, rollout_percentage = ${rolloutPercentage} where key = ${key}`;
    await tx.unsafe("alter table public.feature_flags disable trigger feature_flags_stamp");
    await tx`update public.feature_flags
                set updated_at = now() - ${changedAgo}::interval, answers_changed_at = now() - ${changedAgo}::interval
              where key = ${key}`;
    await tx.unsafe("alter table public.feature_flags enable trigger feature_flags_stamp");
  });
}

/** Empties qc_jobs and job_dlq and turns the given flags fully on: each job test starts from this. */
export async function resetJobs(sql: Sql, flagsOn: readonly string[]): Promise<void> {
  await sql`delete from public.qc_jobs`;
  await sql`delete from public.job_dlq`;
  for (const key of flagsOn) await setFlag(sql, key, true, 100);
}

export interface SeededJob {
  id: string;
  tenant_id: string | null;
  payload: unknown;
}

/** Inserts `count` pending jobs of one type; tenant per job from `tenantOf` (null: bucketed by id). */
export async function seedJobs(
  sql: Sql,
  count: number,
  options: { jobType?: string; maxAttempts?: number; tenantOf?: (i: number) => string | null } = {},
): Promise<SeededJob[]> {
  const rows = Array.from({ length: count }, (_, i) => ({
    job_type: options.jobType ?? "test",
    tenant_id: options.tenantOf ? options.tenantOf(i) : `tenant-${i}`,
    // Payloads with nesting, unicode and numbers that a lossy copy would change.
    payload: { i, text: `job ${i} ünïcødé "quoted"`, nested: { list: [i, i * 1.5, null, true], big: "9007199254740993" } },
    max_attempts: options.maxAttempts ?? 3,
    run_after: new Date(Date.now() - 60_000),
  }));
  const inserted: SeededJob[] = [];
  for (let start = 0; start < rows.length; start += 1000) {
    const chunk = rows.slice(start, start + 1000);
    const result = await sql`
      insert into public.qc_jobs ${sql(chunk as never, "job_type", "tenant_id", "payload", "max_attempts", "run_after")}
      returning id, tenant_id, payload`;
    inserted.push(...(result as unknown as SeededJob[]));
  }
  return inserted;
}
