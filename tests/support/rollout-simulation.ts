// Simulated job outcomes for the rollout tests: finished jobs of many tenants, a chosen share of
// each cohort failed for good, written the way the flags would have it (the canary's failures
// dead-lettered, DLQ_ENABLED being on for it; control's marked failed). Returns what it wrote per
// cohort, so that a test can check the database's numbers against its own.
import type { Sql } from "../../scripts/shared/database.ts";
import { cohortOf, type Cohort } from "../../functions/_shared/rollout-guard.ts";

export interface CohortOutcomes {
  jobs: number;
  failed: number;
}

export interface SimulatedOutcomes {
  canary: CohortOutcomes;
  control: CohortOutcomes;
}

export interface Simulation {
  bucketGroup: string;
  stepPercentage: number;
  jobs: number;
  /** Finished between these times, evenly spread. */
  from: Date;
  to: Date;
  failureRate: Record<Cohort, number>;
  /** Tenant names are `${tenantPrefix}${i}`: a new prefix gives new subjects. */
  tenantPrefix?: string;
}

export async function simulateOutcomes(sql: Sql, simulation: Simulation): Promise<SimulatedOutcomes> {
  const outcomes: SimulatedOutcomes = { canary: { jobs: 0, failed: 0 }, control: { jobs: 0, failed: 0 } };
  const completed: { tenant: string; at: string }[] = [];
  const failedRows: { tenant: string; at: string }[] = [];
  const deadLettered: { tenant: string; at: string }[] = [];
  const span = simulation.to.getTime() - simulation.from.getTime();
  for (let i = 0; i < simulation.jobs; i++) {
    const tenant = `${simulation.tenantPrefix ?? "sim-"}${i}`;
    const at = new Date(simulation.from.getTime() + Math.floor((span * i) / simulation.jobs)).toISOString();
    const cohort = cohortOf(simulation.bucketGroup, tenant, simulation.stepPercentage);
    const record = outcomes[cohort];
    // Exactly the rate: job k of a cohort fails when floor((k + 1) * rate) steps up.
    const fails = Math.floor((record.jobs + 1) * simulation.failureRate[cohort]) > Math.floor(record.jobs * simulation.failureRate[cohort]);
    record.jobs += 1;
    if (!fails) completed.push({ tenant, at });
    else {
      record.failed += 1;
      (cohort === "canary" ? deadLettered : failedRows).push({ tenant, at });
    }
  }
  const insertJobs = (rows: { tenant: string; at: string }[], status: string, attempts: number) => sql`
    insert into public.qc_jobs (job_type, status, tenant_id, attempts, started_at, finished_at)
    select 'sim', ${status}, r ->> 'tenant', ${attempts}, (r ->> 'at')::timestamptz - interval '2 seconds', (r ->> 'at')::timestamptz
      from jsonb_array_elements(${sql.json(rows)}::jsonb) as r`;
  await insertJobs(completed, "completed", 1);
  await insertJobs(failedRows, "failed", 3);
  await sql`
    insert into public.job_dlq (job_id, job_type, payload, attempts, first_failed_at, last_failed_at, job_snapshot)
    select id, 'sim', '{}', 3, at, at, jsonb_build_object('id', id, 'tenant_id', tenant)
      from (select gen_random_uuid() as id, r ->> 'tenant' as tenant, (r ->> 'at')::timestamptz as at
              from jsonb_array_elements(${sql.json(deadLettered)}::jsonb) as r) as d`;
  return outcomes;
}

export async function clearOutcomes(sql: Sql): Promise<void> {
  await sql`delete from public.qc_jobs`;
  await sql`delete from public.job_dlq`;
}
