// The worker helper when things go wrong: jobs waiting in a claimed batch heartbeat too (the
// watchdog leaves them alone), shutdown hands back unstarted jobs with their attempt uncounted,
// a transient error from the database is retried and run() does not throw, a completion whose
// effect commits with it happens once, and (server) a connection terminated under the completion's
// transaction is retried without ending the process. Runs on PGlite and on the server.
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Sql } from "postgres";
import { createJobWorker } from "../../../client/job-worker.ts";
import { reclaimStaleJobs } from "../../../client/job-rpc.ts";
import { backoffDelayMs, isTransientError } from "../../../client/transient-errors.ts";
import { resetJobs, seedJobs } from "../../support/job-fixtures.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";
import { usingServer } from "../../support/test-database.ts";

const db = usePushedDatabase();

beforeAll(async () => {
  await db.sql`create table if not exists resilience_effects (job_id uuid not null)`;
});
beforeEach(async () => {
  await resetJobs(db.sql, ["JOB_HEARTBEAT", "DLQ_ENABLED"]);
  await db.sql`delete from resilience_effects`;
});

describe("transient errors", () => {
  it("retries connection loss, server shutdown and serialization failures, not bugs or an ended client", () => {
    for (const code of ["CONNECTION_CLOSED", "ECONNRESET", "ECONNREFUSED", "57P01", "40001", "40P01", "08006", "53300"]) {
      expect(isTransientError(Object.assign(new Error(code), { code })), code).toBe(true);
    }
    for (const code of ["CONNECTION_ENDED", "42883", "42501", "23505", undefined]) {
      expect(isTransientError(Object.assign(new Error(String(code)), { code })), String(code)).toBe(false);
    }
  });

  it("backs off exponentially with full jitter, capped", () => {
    const policy = { baseMs: 100, capMs: 1000 };
    expect([0, 1, 2, 3, 10].map((retry) => backoffDelayMs(retry, policy, () => 0.999))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelayMs(5, policy, () => 0)).toBe(0);
  });
});

describe("createJobWorker under faults", () => {
  it("heartbeats the jobs waiting in a claimed batch, so the watchdog leaves them alone", async () => {
    await seedJobs(db.sql, 3);
    const worker = createJobWorker(db.sql, { workerId: "batch-1", heartbeatIntervalMs: 100 });
    const [first, ...waiting] = await worker.claim({ limit: 3 });
    await db.sql`update public.qc_jobs set started_at = now() - interval '10 minutes'`;
    const outcome = await worker.run(first!, async () => {
      await sleep(1_500);
      // Quiet for 10 minutes by their start, but heartbeating every 100 ms: none is stale after 1 s.
      expect(await reclaimStaleJobs(db.sql, { staleAfterMs: 1_000 })).toEqual([]);
    });
    expect(outcome).toEqual({ kind: "completed" });
    const beats = await db.sql`select id from public.qc_jobs where status = 'running' and last_heartbeat_at > now() - interval '10 minutes'`;
    expect(beats.map((r) => r.id).sort()).toEqual(waiting.map((job) => job.id).sort());
    for (const job of waiting) expect(await worker.run(job, async () => {})).toEqual({ kind: "completed" });
    expect(worker.held).toBe(0);
  });

  it("shutdown: no more claims, unstarted jobs handed back with their attempt uncounted, the running one finishes", async () => {
    await seedJobs(db.sql, 3);
    const worker = createJobWorker(db.sql, { workerId: "stop-1", heartbeatIntervalMs: 1000 });
    const [running, ...unstarted] = await worker.claim({ limit: 3 });
    let finish!: () => void;
    const runningOutcome = worker.run(running!, () => new Promise<void>((resolve) => (finish = resolve)));
    const stopped = worker.shutdown();
    await sleep(50);
    const rows = await db.sql`select id, status, attempts, locked_by from public.qc_jobs where id in ${db.sql(unstarted.map((j) => j.id))}`;
    expect(rows.map((r) => ({ status: r.status, attempts: r.attempts, locked_by: r.locked_by }))).toEqual([
      { status: "pending", attempts: 0, locked_by: null },
      { status: "pending", attempts: 0, locked_by: null },
    ]);
    expect(await worker.claim()).toEqual([]);
    expect(await worker.run(unstarted[0]!, async () => { throw new Error("must not run"); })).toEqual({ kind: "released" });
    finish();
    expect(await runningOutcome).toEqual({ kind: "completed" });
    await stopped;
    expect(worker.held).toBe(0);
  });

  it("a transient error on complete is retried; the effect that commits with the completion happens once", async () => {
    const [seeded] = await seedJobs(db.sql, 1);
    // The first complete_job answer is lost after the server committed it (connection closed).
    let calls = 0;
    const flaky = new Proxy(db.sql, {
      get(target, property, receiver) {
        if (property !== "begin") return Reflect.get(target, property, receiver);
        return async (fn: (tx: unknown) => Promise<unknown>) => {
          const result = await target.begin(fn as never);
          if (++calls === 1) throw Object.assign(new Error("write CONNECTION_CLOSED"), { code: "CONNECTION_CLOSED" });
          return result;
        };
      },
    }) as Sql;
    const retries: string[] = [];
    const worker = createJobWorker(flaky, {
      workerId: "flaky-1",
      heartbeatIntervalMs: 1000,
      backoff: { baseMs: 5, capMs: 20 },
      onTransientError: (_error, what) => retries.push(what),
    });
    const [job] = await worker.claim();
    const outcome = await worker.run(job!, async () => async (tx) => {
      await tx`insert into resilience_effects (job_id) values (${seeded!.id})`;
    });
    expect(outcome).toEqual({ kind: "completed" });
    expect(retries).toEqual(["complete_job"]);
    const [effects] = await db.sql`select count(*)::int as n from resilience_effects`;
    expect(effects!.n).toBe(1);
    expect((await db.sql`select status from public.qc_jobs where id = ${seeded!.id}`)[0]!.status).toBe("completed");
  });

  // Server only: PGlite has no backend to terminate. With plain sql.begin, postgres.js writes the
  // ROLLBACK to the closed socket and the TypeError ends the test process (see close-safe-begin.ts).
  it.skipIf(!usingServer)("the completion's connection terminated mid-transaction: retried, the process lives, the effect once", async () => {
    const [seeded] = await seedJobs(db.sql, 1);
    const retries: unknown[] = [];
    const worker = createJobWorker(db.sql, {
      workerId: "terminated-1",
      heartbeatIntervalMs: 1000,
      backoff: { baseMs: 5, capMs: 20 },
      onTransientError: (error) => retries.push((error as { code?: string }).code),
    });
    const [job] = await worker.claim();
    let attempts = 0;
    const outcome = await worker.run(job!, async () => async (tx) => {
      await tx`insert into resilience_effects (job_id) values (${seeded!.id})`;
      // The first time, the server ends this transaction's session while a query is in flight.
      if (++attempts === 1) await tx`select pg_catalog.pg_terminate_backend(pg_catalog.pg_backend_pid())`;
    });
    // Long enough for a write scheduled on the closed socket to have run (and crashed) by now.
    await sleep(200);
    expect(outcome).toEqual({ kind: "completed" });
    expect(attempts).toBe(2);
    // The next call may get the terminated backend's own 57P01 (postgres.js replays it): retried too.
    expect(retries[0]).toBe("CONNECTION_CLOSED");
    expect(retries.every((code) => code === "CONNECTION_CLOSED" || code === "57P01"), String(retries)).toBe(true);
    const [effects] = await db.sql`select count(*)::int as n from resilience_effects`;
    expect(effects!.n).toBe(1);
    expect((await db.sql`select status from public.qc_jobs where id = ${seeded!.id}`)[0]!.status).toBe("completed");
  });
});
