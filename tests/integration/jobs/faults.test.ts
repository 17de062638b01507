// The job lifecycle under faults, on a real PostgreSQL server: worker processes (the helper as app
// code uses it, claiming in batches of 3) are SIGKILLed at random while every connection to the
// database is terminated with pg_terminate_backend again and again, and the watchdog runs with a
// short threshold and a short lease. Under both flag phases (both at 100 %, and the canary: DLQ
// 5 %, heartbeat off, where only the lease rescues) every job ends completed exactly once: 0 lost,
// 0 stuck, 0 duplicated side effects (the effect commits with complete_job), and no worker process
// dies other than by our SIGKILL.
// Server only: PGlite is one session, with no backends to terminate and no second process.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../../scripts/shared/project-paths.ts";
import { seedJobs } from "../../support/job-fixtures.ts";
import { usingServer } from "../../support/test-database.ts";
import { setSettledFlag } from "../../support/flags.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const JOBS = 120;
const WORKERS = 4;
const DEADLINE_MS = 60_000;
const FAULT_EVERY = 10;
const db = usePushedDatabase({ enabled: usingServer });
/** Workers that have installed their SIGTERM handler (a process still starting dies of SIGTERM). */
const ready = new WeakSet<ChildProcess>();
const stderrOf = new WeakMap<ChildProcess, () => string>();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  if (!usingServer) return;
  await db.sql`create table fault_side_effects (job_id uuid not null, worker_id text not null, at timestamptz not null default now())`;
  await db.sql`insert into public.job_type_settings (job_type, max_run_time) values ('fault', '2 seconds')`;
});

function startWorker(n: number): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", path.join("tests", "support", "fault-worker.ts")], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DATABASE_URL: db.url, FAULT_WORKER_ID: `fault-${n}-${Date.now()}` },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let errors = "";
  child.stderr!.on("data", (data: Buffer) => (errors += data.toString()));
  stderrOf.set(child, () => errors);
  child.stdout!.on("data", (data: Buffer) => {
    if (data.toString().includes("ready")) ready.add(child);
  });
  return child;
}

const phases = [
  { name: "both flags at 100 %", dlq: 100, heartbeat: 100 },
  { name: "canary: DLQ 5 %, heartbeat off", dlq: 5, heartbeat: 0 },
];

describe.skipIf(!usingServer).each(phases)("$name", (phase) => {
  it("workers SIGKILLed, every connection terminated: 0 lost, 0 stuck, 0 duplicated effects", async () => {
    await db.sql`delete from public.qc_jobs`;
    await db.sql`delete from fault_side_effects`;
    await setSettledFlag(db.sql, "DLQ_ENABLED", true, phase.dlq);
    await setSettledFlag(db.sql, "JOB_HEARTBEAT", phase.heartbeat > 0, phase.heartbeat);
    await seedJobs(db.sql, JOBS, { jobType: "fault", maxAttempts: 100 });

    let spawned = 0;
    // Every exit of a worker that was not our SIGKILL, with its stderr: the helper must survive
    // every termination (postgres.js used to end the process when a transaction's connection
    // closed under it: functions/_shared/close-safe-begin.ts says how the helper avoids that).
    const died: string[] = [];
    const workers = new Set<ChildProcess>();
    const add = () => {
      const child = startWorker(spawned++);
      workers.add(child);
      child.once("exit", (code, signal) => {
        if (!workers.delete(child)) return;
        died.push(`exit ${code ?? signal}: ${stderrOf.get(child)?.() ?? ""}`);
        add();
      });
    };
    for (let i = 0; i < WORKERS; i++) add();

    let kills = 0;
    let terminations = 0;
    let rescued = 0;
    const started = Date.now();
    let completed = 0;
    // Faults are paced by progress, not by the clock: one every FAULT_EVERY completed jobs, a
    // worker SIGKILL and a termination of every backend in turn, so that a fast machine gets as
    // many faults as a loaded one, and the run stays bounded by the number of jobs.
    let nextFaultAt = FAULT_EVERY;
    for (let fault = 0; Date.now() - started < DEADLINE_MS; ) {
      await sleep(250);
      const rows = await db.sql`select * from public.reclaim_stale_jobs('1 second', 500)`;
      rescued += rows.length;
      const [count] = await db.sql`select count(*)::int as n from public.qc_jobs where status = 'completed'`;
      completed = count!.n as number;
      if (completed === JOBS) break;
      if (completed < nextFaultAt) continue;
      nextFaultAt = completed + FAULT_EVERY;
      // A worker that has started (a loaded machine starts them slowly).
      const readyWorkers = [...workers].filter((child) => ready.has(child));
      if (fault % 2 === 0 && readyWorkers.length > 0) {
        const victim = readyWorkers[Math.floor(Math.random() * readyWorkers.length)]!;
        victim.kill("SIGKILL");
        workers.delete(victim);
        kills++;
        add();
      } else {
        const [row] = await db.sql`
          select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()`;
        terminations += row!.n as number;
      }
      fault++;
    }
    const stopping = [...workers];
    workers.clear();
    for (const child of stopping) child.kill("SIGTERM");
    // SIGTERM: each stops claiming, hands back what it has not started, finishes the rest, exits 0.
    const exitCodes = await Promise.all(stopping.map((child) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code))))));

    const [state] = await db.sql`
      select (select count(*)::int from public.qc_jobs where status = 'completed') as completed,
             (select count(*)::int from public.qc_jobs where status <> 'completed') as not_completed,
             (select count(*)::int from public.job_dlq) as dead_lettered,
             (select count(*)::int from fault_side_effects) as effects,
             (select count(distinct job_id)::int from fault_side_effects) as jobs_with_effects`;
    const summary = `${phase.name}: ${kills} workers SIGKILLed, ${died.length} died otherwise, ${terminations} backends terminated, ${rescued} rescues, ${Date.now() - started} ms`;
    console.log(summary);
    const failedExits = stopping
      .map((child, i) => ({ code: exitCodes[i], stderr: stderrOf.get(child)?.() ?? "" }))
      .filter(({ code }, i) => ready.has(stopping[i]!) && code !== 0);
    expect(failedExits, summary).toEqual([]);
    expect(stopping.some((child) => ready.has(child)), summary).toBe(true);
    expect(died, summary).toEqual([]);
    expect(kills, summary).toBeGreaterThan(2);
    expect(terminations, summary).toBeGreaterThan(2);
    expect(state, summary).toEqual({ completed: JOBS, not_completed: 0, dead_lettered: 0, effects: JOBS, jobs_with_effects: JOBS });
    // Every effect belongs to a completed job: none committed without its completion.
    const [orphans] = await db.sql`
      select count(*)::int as n from fault_side_effects e
      left join public.qc_jobs q on q.id = e.job_id and q.status = 'completed' where q.id is null`;
    expect(orphans!.n).toBe(0);
  });
});
