// What the flags cost a worker: jobs/s through the worker RPCs (claim_jobs, heartbeat_job,
// complete_job, one job per cycle, 4 connections) with DLQ_ENABLED and JOB_HEARTBEAT both on
// (100 %) against both off, alternating run by run on the same fresh database. The heartbeat is in
// the cycle because it is where a worker meets a flag (flag_enabled per job); with the flag on it
// also writes the heartbeat, which is part of what turning the flag on costs.
import { connect, type Sql } from "../../scripts/shared/database.ts";
import type { BenchGroup } from "../lib/context.ts";
import { createBenchDatabase, pushMigrations } from "../lib/databases.ts";
import { ratioTarget } from "../lib/results.ts";

const CONNECTIONS = 4;
const SECONDS = 5;
const JOBS = 50_000;

async function setFlags(sql: Sql, on: boolean): Promise<void> {
  await sql`update public.feature_flags set enabled = ${on}, rollout_percentage = ${on ? 100 : 0} where key in ('DLQ_ENABLED', 'JOB_HEARTBEAT')`;
}

/** Jobs completed per second by CONNECTIONS workers looping claim, heartbeat, complete. */
async function cyclesPerSecond(url: string, expectHeartbeat: "recorded" | "flag_off"): Promise<number> {
  const workers = Array.from({ length: CONNECTIONS }, () => connect(url));
  let completed = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  try {
    await Promise.all(
      workers.map(async (sql, w) => {
        const worker = `bench-worker-${w}`;
        while (performance.now() < deadline) {
          const [job] = await sql`select id, attempts from public.claim_jobs(${worker}, 1)`;
          if (!job) throw new Error(`no pending job left after ${completed} cycles: raise JOBS`);
          const [beat] = await sql`select reason from public.heartbeat_job(${job.id as string}, ${worker}, ${job.attempts as number})`;
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
      const on: number[] = [];
      const off: number[] = [];
      for (let run = 0; run < settings.runs; run++) {
        for (const flagsOn of [false, true]) {
          await sql`truncate public.qc_jobs cascade`;
          await sql`insert into public.qc_jobs (job_type, tenant_id) select 'bench.cycle', 'tenant-' || (g % 5000) from generate_series(1, ${JOBS}::int) g`;
          await sql.unsafe("vacuum analyze public.qc_jobs");
          await setFlags(sql, flagsOn);
          const rate = await cyclesPerSecond(database.url, flagsOn ? "recorded" : "flag_off");
          (flagsOn ? on : off).push(rate);
          context.log(`  run ${run + 1}, flags ${flagsOn ? "on" : "off"}: ${Math.round(rate)} jobs/s`);
        }
      }
      const label = `${CONNECTIONS} connections, ${SECONDS} s, claim_jobs + heartbeat_job + complete_job per job`;
      book.add({ id: "jobs.flags-off", label: `worker cycle, DLQ_ENABLED and JOB_HEARTBEAT off (${label})`, unit: "jobs/s", samples: off });
      book.add({ id: "jobs.flags-on", label: `worker cycle, both flags on at 100 % (${label})`, unit: "jobs/s", samples: on, baselineId: "jobs.flags-off", target: ratioTarget({ min: 0.85 }) });
    } finally {
      await database.drop();
    }
  },
};
