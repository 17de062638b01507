// Simulated job outcomes for the rollout tests: finished jobs of many tenants, a chosen share of
// each cohort failed for good, written the way the flags would have it (the canary's failures
// dead-lettered, DLQ_ENABLED being on for it; control's marked failed), and optionally a chosen
// share of each cohort's completed jobs rescued by the watchdog before completing, or executed
// twice (a zombie worker's completion refused after another worker completed it), recorded in
// job_events as the worker RPCs record them. Returns what it wrote per cohort, so that a test can
// check the database's numbers against its own.
import type { Sql } from "../../scripts/shared/database.ts";
import { cohortOf, type Cohort } from "../../functions/_shared/rollout-guard.ts";

export interface CohortOutcomes {
  jobs: number;
  failed: number;
  rescued: number;
  duplicated: number;
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
  /** Shares of each cohort's jobs rescued by the watchdog (then completed), and executed twice. */
  rescueRate?: Record<Cohort, number>;
  duplicateRate?: Record<Cohort, number>;
  /** Tenant names are `${tenantPrefix}${i}`: a new prefix gives new subjects. */
  tenantPrefix?: string;
}

/** Exactly the rate: the (count + 1)-th of a cohort has the event when floor((count + 1) * rate) steps up. */
function stepsUp(count: number, rate: number): boolean {
  return Math.floor((count + 1) * rate) > Math.floor(count * rate);
}

export async function simulateOutcomes(sql: Sql, simulation: Simulation): Promise<SimulatedOutcomes> {
  const outcomes: SimulatedOutcomes = { canary: { jobs: 0, failed: 0, rescued: 0, duplicated: 0 }, control: { jobs: 0, failed: 0, rescued: 0, duplicated: 0 } };
  const completed: { tenant: string; at: string; rescued?: boolean; duplicated?: boolean }[] = [];
  const failedRows: { tenant: string; at: string }[] = [];
  const deadLettered: { tenant: string; at: string }[] = [];
  const span = simulation.to.getTime() - simulation.from.getTime();
  for (let i = 0; i < simulation.jobs; i++) {
    const tenant = `${simulation.tenantPrefix ?? "sim-"}${i}`;
    const at = new Date(simulation.from.getTime() + Math.floor((span * i) / simulation.jobs)).toISOString();
    const cohort = cohortOf(simulation.bucketGroup, tenant, simulation.stepPercentage);
    const record = outcomes[cohort];
    const fails = stepsUp(record.jobs, simulation.failureRate[cohort]);
    const completedCount = record.jobs - record.failed;
    record.jobs += 1;
    if (!fails) {
      const rescued = stepsUp(completedCount, simulation.rescueRate?.[cohort] ?? 0);
      const duplicated = stepsUp(completedCount, simulation.duplicateRate?.[cohort] ?? 0);
      if (rescued) record.rescued += 1;
      if (duplicated) record.duplicated += 1;
      completed.push({ tenant, at, rescued, duplicated });
    } else {
      record.failed += 1;
      (cohort === "canary" ? deadLettered : failedRows).push({ tenant, at });
    }
  }
  const insertJobs = (rows: { tenant: string; at: string }[], status: string, attempts: number) => sql`
    insert into public.qc_jobs (job_type, status, tenant_id, attempts, started_at, finished_at)
    select 'sim', ${status}, r ->> 'tenant', ${attempts}, (r ->> 'at')::timestamptz - interval '2 seconds', (r ->> 'at')::timestamptz
      from jsonb_array_elements(${sql.json(rows)}::jsonb) as r`;
  await insertJobs(completed.filter((r) => !r.rescued), "completed", 1);
  await insertJobs(completed.filter((r) => r.rescued), "completed", 2);
  // What the RPCs record: the watchdog's rescue of the first attempt a minute before the job
  // completed; a zombie worker's completion of attempt 1, refused a second after worker w-2
  // completed attempt 2.
  await sql`
    insert into public.job_events (event, job_id, job_type, subject, worker_id, attempt, reason, detail, at)
    select 'watchdog_requeued', q.id::text, q.job_type, q.tenant_id, 'w-1', 1, 'lease_expired', '{}', (r ->> 'at')::timestamptz - interval '1 minute'
      from jsonb_array_elements(${sql.json(completed.filter((r) => r.rescued))}::jsonb) as r
      join public.qc_jobs q on q.tenant_id = r ->> 'tenant'`;
  await sql`
    insert into public.job_events (event, job_id, job_type, subject, worker_id, attempt, reason, detail, at)
    select 'completion_refused', q.id::text, q.job_type, q.tenant_id, 'w-1', 1, 'status completed',
           '{"held_by": "w-2", "current_attempt": 2}', (r ->> 'at')::timestamptz + interval '1 second'
      from jsonb_array_elements(${sql.json(completed.filter((r) => r.duplicated))}::jsonb) as r
      join public.qc_jobs q on q.tenant_id = r ->> 'tenant'`;
  await insertJobs(failedRows, "failed", 3);
  await sql`
    insert into public.job_dlq (job_id, job_type, payload, attempts, first_failed_at, last_failed_at, job_snapshot)
    select id, 'sim', '{}', 3, at, at, jsonb_build_object('id', id, 'tenant_id', tenant)
      from (select gen_random_uuid() as id, r ->> 'tenant' as tenant, (r ->> 'at')::timestamptz as at
              from jsonb_array_elements(${sql.json(deadLettered)}::jsonb) as r) as d`;
  return outcomes;
}

export async function clearOutcomes(sql: Sql): Promise<void> {
  await sql`delete from public.job_events`;
  await sql`delete from public.qc_jobs`;
  await sql`delete from public.job_dlq`;
}
