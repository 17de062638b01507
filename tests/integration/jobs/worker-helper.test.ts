// The TypeScript worker helper (client/job-worker.ts) and its runnable example: completion,
// retry and dead-lettering by error kind, and a heartbeat that finds the job taken aborts the
// handler and drops its result. Runs on PGlite and on the server.
import { execFile } from "node:child_process";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeEach, describe, expect, it } from "vitest";
import { createJobWorker, JobLostError, NonRetryableJobError } from "../../../client/job-worker.ts";
import { BIN_DIR, PROJECT_ROOT } from "../../../scripts/shared/project-paths.ts";
import { resetJobs, seedJobs } from "../../support/job-fixtures.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const db = usePushedDatabase();
beforeEach(() => resetJobs(db.sql, ["JOB_HEARTBEAT", "DLQ_ENABLED"]));

describe("createJobWorker", () => {
  it("completes on success, retries a plain error, dead-letters a NonRetryableJobError", async () => {
    await seedJobs(db.sql, 3, { maxAttempts: 3 });
    const worker = createJobWorker(db.sql, { workerId: "helper-1", heartbeatIntervalMs: 1000, retryDelayMs: () => 0 });
    const jobs = await worker.claim({ limit: 3 });
    const [ok, flaky, invalid] = jobs;
    expect(await worker.run(ok!, async () => {})).toEqual({ kind: "completed" });
    expect(await worker.run(flaky!, async () => { throw new Error("timeout"); })).toMatchObject({ kind: "failed", outcome: "retry_scheduled" });
    expect(await worker.run(invalid!, async () => { throw new NonRetryableJobError("bad input"); })).toMatchObject({ kind: "failed", outcome: "dead_lettered" });
    const rows = await db.sql`select id, status, last_error from public.qc_jobs order by id`;
    expect(new Map(rows.map((r) => [r.id, r.status]))).toEqual(new Map([[ok!.id, "completed"], [flaky!.id, "pending"]]));
    const [entry] = await db.sql`select error_message, error_details from public.job_dlq where job_id = ${invalid!.id}`;
    expect(entry!.error_message).toBe("bad input");
    expect(entry!.error_details).toMatchObject({ name: "NonRetryableJobError" });
  });

  it("heartbeats while the handler runs, and aborts it when the job is taken away", async () => {
    await seedJobs(db.sql, 1);
    const worker = createJobWorker(db.sql, { workerId: "helper-2", heartbeatIntervalMs: 100 });
    const [job] = await worker.claim();
    let abortReason: unknown;
    const outcome = await worker.run(job!, async (_job, signal) => {
      // Let a few heartbeats land, then have the job reclaimed behind the worker's back.
      await sleep(350);
      const [row] = await db.sql`select last_heartbeat_at from public.qc_jobs where id = ${job!.id}`;
      expect(row!.last_heartbeat_at).toBeInstanceOf(Date);
      await db.sql`update public.qc_jobs set status = 'pending', locked_by = null where id = ${job!.id}`;
      try {
        await sleep(5_000, undefined, { signal });
      } catch {
        abortReason = signal.reason;
      }
    });
    expect(outcome).toEqual({ kind: "lost", reason: "reclaimed" });
    expect(abortReason).toBeInstanceOf(JobLostError);
    // The handler's result was dropped: the job is still the reclaimed pending job.
    expect(await db.sql`select status from public.qc_jobs where id = ${job!.id}`).toEqual([{ status: "pending" }]);
  });

  it("reports a completion refused by the database as lost, with the reason", async () => {
    await seedJobs(db.sql, 1);
    const worker = createJobWorker(db.sql, { workerId: "helper-3", heartbeatIntervalMs: 60_000 });
    const [job] = await worker.claim();
    const outcome = await worker.run(job!, async () => {
      await db.sql`update public.qc_jobs set status = 'cancelled' where id = ${job!.id}`;
    });
    expect(outcome).toEqual({ kind: "lost", reason: "cancelled" });
    expect(await db.sql`select status from public.qc_jobs where id = ${job!.id}`).toEqual([{ status: "cancelled" }]);
  });

  it("refuses a blank worker id", () => {
    expect(() => createJobWorker(db.sql, { workerId: " " })).toThrow(/workerId must be a non-empty string/);
  });
});

describe("examples/job-worker.ts", () => {
  function runExample(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        path.join(BIN_DIR, "tsx"),
        ["examples/job-worker.ts"],
        { cwd: PROJECT_ROOT, env: { ...process.env, DATABASE_URL: db.url, ...env }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  it("runs: enqueues 5 jobs, completes 4, dead-letters the invalid one, exits 0", async () => {
    const run = await runExample({ EXAMPLE_ENQUEUE: "5" });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const output = run.stdout;
    expect(output).toContain("enqueued 5 example.send-email jobs");
    expect(output.match(/: completed/g)).toHaveLength(4);
    expect(output).toMatch(/: failed \(dead_lettered: invalid address not-an-address\)/);
    expect(output).toContain("queue empty");
    const [counts] = await db.sql`
      select (select count(*)::int from public.qc_jobs where job_type = 'example.send-email' and status = 'completed') as completed,
             (select count(*)::int from public.job_dlq where job_type = 'example.send-email') as dead_lettered`;
    expect(counts).toEqual({ completed: 4, dead_lettered: 1 });
  });

  it("on a qc_jobs without tenant_id, says in one line to insert its own jobs and run with EXAMPLE_ENQUEUE=0", async () => {
    await db.sql`alter table public.qc_jobs rename column tenant_id to account_ref`;
    try {
      const run = await runExample({ EXAMPLE_ENQUEUE: "5" });
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split("\n"), run.stderr).toEqual([
        'Cannot enqueue the demo jobs (column "tenant_id" of relation "qc_jobs" does not exist): they are written for the kit\'s own qc_jobs. ' +
          'Insert your own jobs of type example.send-email (payload {"to", "subject"}) and run with EXAMPLE_ENQUEUE=0.',
      ]);
      expect(await db.sql`select count(*)::int as n from public.qc_jobs`).toEqual([{ n: 0 }]);
    } finally {
      await db.sql`alter table public.qc_jobs rename column account_ref to tenant_id`;
    }
  });
});
