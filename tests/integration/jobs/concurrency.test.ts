// Many workers on separate connections claim, heartbeat, complete and fail jobs while several
// watchdogs run, slow workers lose their jobs to the watchdog, and some workers are killed mid-job
// (their backend terminated with pg_terminate_backend and their client closed, as a crashed
// process would leave it). At the end every job is exactly one of completed, pending or running,
// or in job_dlq once: none lost, none in two places, no payload changed, and no worker completed
// a job after it was reclaimed without being told.
//
// Server only: PGlite is one Postgres session shared by every connection, so it has no
// concurrency to test (transactions and row locks of "different" workers would be one session's).
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { connect, type Sql } from "../../../scripts/shared/database.ts";
import { reclaimStaleJobs } from "../../../client/job-rpc.ts";
import { createJobWorker, NonRetryableJobError } from "../../../client/job-worker.ts";
import { usingServer } from "../../support/test-database.ts";
import { seedJobs, type SeededJob } from "../../support/job-fixtures.ts";
import { setSettledFlag } from "../../support/flags.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const JOBS = 300;
const NORMAL_WORKERS = 12;
const STALE_AFTER_MS = 1500;
const RUN_LIMIT_MS = 40_000;

interface Claim {
  jobId: string;
  attempt: number;
  worker: string;
  outcome: "running" | "completed" | "lost" | "retry_scheduled" | "dead_lettered" | "failed" | "killed" | "abandoned" | "released";
}

/** Seeded randomness (mulberry32): the same mix of durations and failures each run (not the same interleaving). */
function randomSource(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const db = usePushedDatabase({ enabled: usingServer });

describe.skipIf(!usingServer)("workers, watchdogs and killed workers at once (server only: PGlite has one session)", () => {
  it("every job ends in exactly one place, whole, and no reclaimed worker completes untold", async () => {
    await setSettledFlag(db.sql, "JOB_HEARTBEAT", true, 100);
    await setSettledFlag(db.sql, "DLQ_ENABLED", true, 100);
    const seeded = await seedJobs(db.sql, JOBS, { maxAttempts: 3 });
    const random = randomSource(20261125);

    const claims: Claim[] = [];
    const reclaims: { jobId: string; attempt: number }[] = [];
    const workers = new Map<string, { sql: Sql; pid: number; busy: boolean; killed: boolean }>();
    let stop = false;
    const startedAt = Date.now();

    // Slow workers claim first, so that they get jobs before the normal workers drain the queue.
    let slowClaims = 0;
    let releaseNormalWorkers!: () => void;
    const slowWorkersHaveJobs = new Promise<void>((resolve) => (releaseNormalWorkers = resolve));
    setTimeout(releaseNormalWorkers, 5_000); // never wait forever
    let deaths = 0;

    async function workerLoop(name: string, profile: { heartbeatIntervalMs: number; jobMs: () => number; maxClaims: number; slow?: boolean }) {
      const sql = connect(db.url);
      const [{ pid }] = (await sql`select pg_backend_pid() as pid`) as unknown as [{ pid: number }];
      const state = { sql, pid, busy: false, killed: false };
      workers.set(name, state);
      const worker = createJobWorker(sql, { workerId: name, heartbeatIntervalMs: profile.heartbeatIntervalMs, retryDelayMs: () => 0, onHeartbeatError: () => {} });
      if (!profile.slow) await slowWorkersHaveJobs;
      let claimed = 0;
      let current: Claim | undefined;
      try {
        while (!stop && claimed < profile.maxClaims) {
          const [job] = await worker.claim({ limit: 1 });
          if (!job) {
            await sleep(20);
            continue;
          }
          claimed++;
          if (profile.slow && ++slowClaims === 2) releaseNormalWorkers();
          current = { jobId: job.id, attempt: job.attempt, worker: name, outcome: "running" };
          claims.push(current);
          state.busy = true;
          const roll = random();
          const result = await worker.run(job, async (_job, signal) => {
            await sleep(profile.jobMs(), undefined, { signal });
            if (roll < 0.15) throw new Error(`transient failure ${roll}`);
            if (roll < 0.2) throw new NonRetryableJobError(`bad payload ${roll}`);
          });
          current.outcome = result.kind === "failed" ? result.outcome : result.kind;
          current = undefined;
          state.busy = false;
        }
      } catch (error) {
        // Any call after the kill fails (its client is closed): this worker is dead, mid-job or between jobs.
        if (!state.killed) throw error;
        if (current) current.outcome = "killed";
        deaths++;
      } finally {
        state.busy = false;
        await sql.end({ timeout: 1 }).catch(() => {});
      }
    }

    async function watchdogLoop() {
      const sql = connect(db.url);
      try {
        while (!stop) {
          for (const row of await reclaimStaleJobs(sql, { staleAfterMs: STALE_AFTER_MS, batchSize: 20 })) {
            reclaims.push({ jobId: row.jobId, attempt: row.attempt });
          }
          await sleep(50 + random() * 100);
        }
      } finally {
        await sql.end({ timeout: 1 });
      }
    }

    let kills = 0;
    async function killerLoop() {
      while (!stop && kills < 4) {
        await sleep(400);
        const victims = [...workers.entries()].filter(([name, w]) => name.startsWith("normal") && w.busy && !w.killed);
        const victim = victims[Math.floor(random() * victims.length)];
        if (!victim) continue;
        const [, state] = victim;
        state.killed = true;
        kills++;
        await db.sql`select pg_terminate_backend(${state.pid})`;
        // A crashed process does not reconnect: close the client so no later call gets through.
        await state.sql.end({ timeout: 0 });
      }
    }

    async function stopWhenSettled() {
      while (Date.now() - startedAt < RUN_LIMIT_MS) {
        await sleep(250);
        const [row] = await db.sql`select count(*)::int as n from public.qc_jobs where status in ('pending', 'running')`;
        if (row!.n === 0) break;
      }
      stop = true;
    }

    const loops = [
      ...Array.from({ length: NORMAL_WORKERS }, (_, i) =>
        workerLoop(`normal-${i}`, {
          heartbeatIntervalMs: 300,
          // Mostly short jobs; one in ten outlives the watchdog threshold and lives by heartbeats.
          jobMs: () => (random() < 0.1 ? 2000 : 10 + random() * 140),
          maxClaims: Infinity,
        }),
      ),
      // Too slow to heartbeat in time: the watchdog takes their jobs; complete_job tells them.
      workerLoop("slow-complete", { heartbeatIntervalMs: 5000, jobMs: () => 2500, maxClaims: 3, slow: true }),
      // Heartbeats after the job was taken: heartbeat_job tells them, the handler is aborted.
      workerLoop("slow-heartbeat", { heartbeatIntervalMs: 2000, jobMs: () => 3500, maxClaims: 3, slow: true }),
      watchdogLoop(),
      watchdogLoop(),
      watchdogLoop(),
      killerLoop(),
      stopWhenSettled(),
    ];
    await Promise.all(loops);

    // --- Where every job is now.
    const jobRows = await db.sql`select id, status, attempts, payload from public.qc_jobs`;
    const dlqRows = await db.sql`select job_id, payload, review_status from public.job_dlq`;
    const seededById = new Map<string, SeededJob>(seeded.map((job) => [job.id, job]));
    const places = new Map<string, string[]>();
    for (const row of jobRows) places.set(row.id, [...(places.get(row.id) ?? []), `qc_jobs:${row.status}`]);
    for (const row of dlqRows) places.set(row.job_id, [...(places.get(row.job_id) ?? []), "job_dlq"]);

    // None invented, none lost, none in two places, only the allowed places.
    expect([...places.keys()].sort()).toEqual([...seededById.keys()].sort());
    for (const [id, where] of places) {
      expect(where, id).toHaveLength(1);
      expect(["qc_jobs:completed", "qc_jobs:pending", "qc_jobs:running", "job_dlq"], id).toContain(where[0]);
    }
    // Payloads unchanged wherever the job is.
    for (const row of [...jobRows, ...dlqRows]) {
      const id = (row.id ?? row.job_id) as string;
      expect(row.payload, id).toEqual(seededById.get(id)!.payload);
    }

    // Each completed job was completed by exactly one claim: the last one. (Or its worker was
    // killed after the completion committed and before the reply arrived: then it never heard.)
    const completedClaims = claims.filter((c) => c.outcome === "completed");
    for (const row of jobRows.filter((r) => r.status === "completed")) {
      const byThisJob = completedClaims.filter((c) => c.jobId === row.id);
      if (byThisJob.length === 0) {
        const lastClaim = claims.find((c) => c.jobId === row.id && c.attempt === row.attempts);
        expect(lastClaim?.outcome, row.id).toBe("killed");
        continue;
      }
      expect(byThisJob, row.id).toHaveLength(1);
      expect(byThisJob[0]!.attempt).toBe(row.attempts);
    }
    expect(completedClaims.length).toBeLessThanOrEqual(jobRows.filter((r) => r.status === "completed").length);

    // No claim was reclaimed twice, and every reclaimed claim's worker was told or was dead.
    const reclaimKeys = reclaims.map((r) => `${r.jobId}#${r.attempt}`);
    expect(new Set(reclaimKeys).size).toBe(reclaimKeys.length);
    for (const reclaim of reclaims) {
      const claim = claims.find((c) => c.jobId === reclaim.jobId && c.attempt === reclaim.attempt);
      // A claim whose reply never reached its worker (killed mid-call) has no record: nothing to tell.
      if (claim) expect(["lost", "killed"], `${claim.worker} ${reclaim.jobId}#${reclaim.attempt}`).toContain(claim.outcome);
    }

    // The run exercised every path it claims to test.
    const count = (outcome: Claim["outcome"]) => claims.filter((c) => c.outcome === outcome).length;
    expect(kills).toBeGreaterThan(0);
    expect(deaths).toBeGreaterThan(0);
    expect(claims.filter((c) => c.worker.startsWith("slow") && c.outcome === "lost").length).toBeGreaterThan(0);
    expect(reclaims.length).toBeGreaterThan(0);
    expect(count("completed")).toBeGreaterThan(0);
    expect(count("retry_scheduled")).toBeGreaterThan(0);
    expect(dlqRows.length).toBeGreaterThan(0);
    console.log(
      `jobs ${JOBS}: completed ${jobRows.filter((r) => r.status === "completed").length}, dead-lettered ${dlqRows.length}, ` +
        `pending/running ${jobRows.filter((r) => r.status !== "completed").length}; claims ${claims.length}, reclaims ${reclaims.length}, ` +
        `kills ${kills} (killed mid-job ${count("killed")}), lost ${count("lost")}, retries ${count("retry_scheduled")}, ${Date.now() - startedAt} ms`,
    );
  });
});
