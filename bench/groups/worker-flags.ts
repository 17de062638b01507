// What the flags cost a worker: jobs/s through the worker RPCs (claim_jobs, heartbeat_job,
// complete_job, one job per cycle, 4 connections) with DLQ_ENABLED and JOB_HEARTBEAT both on
// (100 %), and both at 5 % (a canary: the flag hashes each job's subject), against both off,
// alternating run by run on the same fresh database. The heartbeat is in
// the cycle because it is where a worker meets a flag (JOB_HEARTBEAT checked for each job); with the flag on it
// also writes the heartbeat, which is part of what turning the flag on costs.
import { connect, type Sql } from "../../scripts/shared/database.ts";
import { evaluateFlag } from "../../functions/_shared/rollout.ts";
import { jobSubject } from "../../client/job-subject.ts";
import type { BenchGroup } from "../lib/context.ts";
import { createBenchDatabase, pushMigrations } from "../lib/databases.ts";
import { ratioTarget } from "../lib/results.ts";

const CONNECTIONS = 4;
const SECONDS = 5;
const JOBS = 50_000;
const CANARY_PERCENTAGE = 5;
const SETTINGS = [
  { name: "off", percentage: 0 },
  { name: "on", percentage: 100 },
  { name: "canary", percentage: CANARY_PERCENTAGE },
] as const;

async function setFlags(sql: Sql, percentage: number): Promise<void> {
  await sql`update public.feature_flags set enabled = ${percentage > 0}, rollout_percentage = ${percentage}, bucket_group = key
            where key in ('DLQ_ENABLED', 'JOB_HEARTBEAT')`;
}

/** What heartbeat_job must answer for a job at a JOB_HEARTBEAT percentage (the rollout core's rule). */
function expectedHeartbeat(percentage: number, job: { id: string; tenant_id: string | null }): "recorded" | "flag_off" {
  const flag = { key: "JOB_HEARTBEAT", enabled: percentage > 0, rolloutPercentage: percentage, bucketGroup: "JOB_HEARTBEAT" };
  return evaluateFlag(flag, jobSubject(job)).value ? "recorded" : "flag_off";
}

/** Jobs completed per second by CONNECTIONS workers looping claim, heartbeat, complete. */
async function cyclesPerSecond(url: string, percentage: number): Promise<number> {
  const workers = Array.from({ length: CONNECTIONS }, () => connect(url));
  let completed = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  try {
    await Promise.all(
      workers.map(async (sql, w) => {
        const worker = `bench-worker-${w}`;
        while (performance.now() < deadline) {
          const [job] = await sql`select id, attempts, tenant_id from public.claim_jobs(${worker}, 1)`;
          if (!job) throw new Error(`no pending job left after ${completed} cycles: raise JOBS`);
          const [beat] = await sql`select reason from public.heartbeat_job(${job.id as string}, ${worker}, ${job.attempts as number})`;
          const expectHeartbeat = expectedHeartbeat(percentage, job as unknown as { id: string; tenant_id: string | null });
          if (beat?.reason !== expectHeartbeat) throw new Error(`heartbeat_job answered ${String(beat?.reason)}, expected ${expectHeartbeat}`);
          const [done] = await sql`select public.complete_job(${job.id as string}, ${worker}, ${job.attempts as number}) as ok`;
          if (done?.ok !== true) throw new Error("complete_job refused a job its worker held");
          completed++;
        }
      }),
    );
  } finally {
    await Promise.all(workers.map((sql) => sql.end({ timeout: 5 })));
  }
  return completed / ((performance.now() - started) / 1000);
}

export const workerFlags: BenchGroup = {
  title: "Worker RPCs with the flags on and off",
  async run(context) {
    const { book, settings } = context;
    const database = await createBenchDatabase("workers");
    try {
      await pushMigrations(database.url);
      const { sql } = database;
      const rates: Record<(typeof SETTINGS)[number]["name"], number[]> = { off: [], on: [], canary: [] };
      for (let run = 0; run < settings.runs; run++) {
        for (const setting of SETTINGS) {
          await sql`truncate public.qc_jobs cascade`;
          await sql`insert into public.qc_jobs (job_type, tenant_id) select 'bench.cycle', 'tenant-' || (g % 5000) from generate_series(1, ${JOBS}::int) g`;
          await sql.unsafe("vacuum analyze public.qc_jobs");
          await setFlags(sql, setting.percentage);
          const rate = await cyclesPerSecond(database.url, setting.percentage);
          rates[setting.name].push(rate);
          context.log(`  run ${run + 1}, flags ${setting.name} (${setting.percentage} %): ${Math.round(rate)} jobs/s`);
        }
      }
      const label = `${CONNECTIONS} connections, ${SECONDS} s, claim_jobs + heartbeat_job + complete_job per job`;
      book.add({ id: "jobs.flags-off", label: `worker cycle, DLQ_ENABLED and JOB_HEARTBEAT off (${label})`, unit: "jobs/s", samples: rates.off });
      book.add({ id: "jobs.flags-on", label: `worker cycle, both flags on at 100 % (${label})`, unit: "jobs/s", samples: rates.on, baselineId: "jobs.flags-off", target: ratioTarget({ min: 0.85 }) });
      book.add({ id: "jobs.flags-canary", label: `worker cycle, both flags at ${CANARY_PERCENTAGE} %: heartbeats recorded for the canary's jobs only (${label})`, unit: "jobs/s", samples: rates.canary, baselineId: "jobs.flags-off" });
    } finally {
      await database.drop();
    }
  },
};
