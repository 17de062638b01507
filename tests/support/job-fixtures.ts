// Jobs for the job and DLQ tests (the database itself: pushed-database.ts).
import type { Sql } from "../../scripts/shared/database.ts";
import { setSettledFlag } from "./flags.ts";

/** Empties qc_jobs and job_dlq and turns the given flags fully on: each job test starts from this. */
export async function resetJobs(sql: Sql, flagsOn: readonly string[]): Promise<void> {
  await sql`delete from public.qc_jobs`;
  await sql`delete from public.job_dlq`;
  for (const key of flagsOn) await setSettledFlag(sql, key, true, 100);
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
