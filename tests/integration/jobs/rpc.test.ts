// Worker RPCs one call at a time: claim, heartbeat (and why it wrote nothing), complete and fail,
// with the flags on and off. Runs on PGlite and on the server.
import { beforeEach, describe, expect, it } from "vitest";
import { claimJobs, completeJob, failJob, heartbeatJob, reclaimStaleJobs } from "../../../client/job-rpc.ts";
import type { TransactionSql } from "../../../scripts/shared/database.ts";
import { resetJobs, seedJobs } from "../../support/job-fixtures.ts";
import { setSettledFlag } from "../../support/flags.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const db = usePushedDatabase();
beforeEach(() => resetJobs(db.sql, ["JOB_HEARTBEAT", "DLQ_ENABLED"]));

async function jobRow(id: string) {
  const [row] = await db.sql`select * from public.qc_jobs where id = ${id}`;
  return row;
}

describe("claim_jobs", () => {
  it("claims pending runnable jobs once: running, locked_by, started_at, attempts + 1", async () => {
    const [a, b] = await seedJobs(db.sql, 2);
    await db.sql`update public.qc_jobs set run_after = now() + interval '1 hour' where id = ${b!.id}`;
    const claimed = await claimJobs(db.sql, "w1", { limit: 10 });
    expect(claimed.map((j) => j.id)).toEqual([a!.id]);
    expect(claimed[0]).toMatchObject({ attempt: 1, maxAttempts: 3, subject: "tenant-0", payload: a!.payload });
    const row = await jobRow(a!.id);
    expect(row).toMatchObject({ status: "running", locked_by: "w1", attempts: 1, last_heartbeat_at: null });
    expect(row!.started_at).toBeInstanceOf(Date);
    expect(await claimJobs(db.sql, "w2", { limit: 10 })).toEqual([]);
  });

  it("filters by job type and refuses a blank worker id or a bad limit", async () => {
    await seedJobs(db.sql, 1, { jobType: "email" });
    await seedJobs(db.sql, 1, { jobType: "billing" });
    expect((await claimJobs(db.sql, "w1", { limit: 5, jobTypes: ["billing"] })).map((j) => j.jobType)).toEqual(["billing"]);
    await expect(claimJobs(db.sql, "  ")).rejects.toThrow(/worker_id must be a non-empty string/);
    await expect(claimJobs(db.sql, "w1", { limit: 0 })).rejects.toThrow(/job_limit must be between 1 and 1000/);
  });
});

describe("heartbeat_job", () => {
  it("records for the owner and says why it did not otherwise", async () => {
    await seedJobs(db.sql, 1);
    const [job] = await claimJobs(db.sql, "w1");
    expect(await heartbeatJob(db.sql, "w1", job!, 0)).toEqual({ owned: true, recorded: true, reason: "recorded" });
    const first = (await jobRow(job!.id))!.last_heartbeat_at as Date;
    expect(first).toBeInstanceOf(Date);
    // A second call inside min_interval writes nothing (the write-cost cap).
    expect(await heartbeatJob(db.sql, "w1", job!, 60_000)).toEqual({ owned: true, recorded: false, reason: "throttled" });
    // Another worker, or this worker with another claim's attempt, does not own it.
    expect(await heartbeatJob(db.sql, "w2", job!, 0)).toMatchObject({ owned: false, reason: "reclaimed" });
    expect(await heartbeatJob(db.sql, "w1", { id: job!.id, attempt: 2 }, 0)).toMatchObject({ owned: false, reason: "reclaimed" });
  });

  it("a recorded heartbeat that is its transaction's first write commits asynchronously; after another write it does not", async () => {
    await seedJobs(db.sql, 2);
    const [first, second] = await claimJobs(db.sql, "w1", { limit: 2 });
    const setting = async (tx: TransactionSql) => (await tx`select current_setting('synchronous_commit') as value`)[0]!.value as string;
    const beat = async (tx: TransactionSql, job: { id: string; attempt: number }, minInterval: string) =>
      (await tx`select owned, recorded, reason from public.heartbeat_job(${job.id}, 'w1', ${job.attempt}, ${minInterval}::interval)`)[0];
    const alone = await db.sql.begin(async (tx) => ({ before: await setting(tx), beat: await beat(tx, first!, "0 seconds"), after: await setting(tx) }));
    expect(alone).toEqual({ before: "on", beat: { owned: true, recorded: true, reason: "recorded" }, after: "off" });
    const afterWrite = await db.sql.begin(async (tx) => {
      await tx`update public.qc_jobs set payload = '{"touched": true}' where id = ${second!.id}`;
      return { beat: await beat(tx, second!, "0 seconds"), after: await setting(tx) };
    });
    expect(afterWrite).toEqual({ beat: { owned: true, recorded: true, reason: "recorded" }, after: "on" });
    // Nothing recorded, nothing to commit: a throttled heartbeat leaves the setting as it was.
    const throttled = await db.sql.begin(async (tx) => ({ beat: await beat(tx, first!, "1 minute"), after: await setting(tx) }));
    expect(throttled).toEqual({ beat: { owned: true, recorded: false, reason: "throttled" }, after: "on" });
    expect((await jobRow(first!.id))!.last_heartbeat_at).toBeInstanceOf(Date);
  });

  it("writes nothing where JOB_HEARTBEAT is off, but still tells the owner it owns the job", async () => {
    await setSettledFlag(db.sql, "JOB_HEARTBEAT", false, 100);
    await seedJobs(db.sql, 1);
    const [job] = await claimJobs(db.sql, "w1");
    expect(await heartbeatJob(db.sql, "w1", job!, 0)).toEqual({ owned: true, recorded: false, reason: "flag_off" });
    expect((await jobRow(job!.id))!.last_heartbeat_at).toBeNull();
  });

  it("tells the worker to stop when the job was cancelled, finished, reclaimed or dead-lettered", async () => {
    const jobs = await seedJobs(db.sql, 4, { maxAttempts: 1 });
    const claimed = await claimJobs(db.sql, "w1", { limit: 4 });
    const byId = new Map(claimed.map((j) => [j.id, j]));
    const [cancelled, finished, reclaimed, gone] = jobs.map((j) => byId.get(j.id)!);
    await db.sql`update public.qc_jobs set status = 'cancelled' where id = ${cancelled!.id}`;
    expect(await completeJob(db.sql, "w1", finished!)).toBe(true);
    await db.sql`update public.qc_jobs set status = 'pending', locked_by = null where id = ${reclaimed!.id}`;
    expect(await failJob(db.sql, "w1", gone!, "boom")).toBe("dead_lettered");
    expect((await heartbeatJob(db.sql, "w1", cancelled!, 0)).reason).toBe("cancelled");
    expect((await heartbeatJob(db.sql, "w1", finished!, 0)).reason).toBe("finished");
    expect((await heartbeatJob(db.sql, "w1", reclaimed!, 0)).reason).toBe("reclaimed");
    expect(await heartbeatJob(db.sql, "w1", gone!, 0)).toEqual({ owned: false, recorded: false, reason: "gone" });
  });
});

describe("complete_job and fail_job", () => {
  it("complete only by the owner of this attempt", async () => {
    await seedJobs(db.sql, 1);
    const [job] = await claimJobs(db.sql, "w1");
    expect(await completeJob(db.sql, "w2", job!)).toBe(false);
    expect(await completeJob(db.sql, "w1", { id: job!.id, attempt: job!.attempt + 1 })).toBe(false);
    expect(await completeJob(db.sql, "w1", job!)).toBe(true);
    expect(await jobRow(job!.id)).toMatchObject({ status: "completed" });
    expect(await completeJob(db.sql, "w1", job!)).toBe(false);
  });

  it("a retryable failure with attempts left goes back to pending after the delay", async () => {
    await seedJobs(db.sql, 1);
    const [job] = await claimJobs(db.sql, "w1");
    expect(await failJob(db.sql, "w2", job!, "not mine")).toBe("not_owned");
    expect(await failJob(db.sql, "w1", job!, "timeout", { retryDelayMs: 3_600_000 })).toBe("retry_scheduled");
    const row = await jobRow(job!.id);
    expect(row).toMatchObject({ status: "pending", locked_by: null, last_error: "timeout", attempts: 1 });
    expect((row!.run_after as Date).getTime()).toBeGreaterThan(Date.now() + 3_000_000);
  });

  it("DLQ on: the last attempt moves the job to job_dlq whole, in one transaction with its removal", async () => {
    const [seeded] = await seedJobs(db.sql, 1, { maxAttempts: 1 });
    const [job] = await claimJobs(db.sql, "w1");
    const longError = `x`.repeat(20_000) + " ✓ end";
    const details = { code: "E42", nested: { deep: [1, "two", { three: 3 }] } };
    expect(await failJob(db.sql, "w1", job!, longError, { details })).toBe("dead_lettered");
    expect(await jobRow(job!.id)).toBeUndefined();
    const entries = await db.sql`select * from public.job_dlq where job_id = ${job!.id}`;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      job_type: "test", payload: seeded!.payload, error_message: longError, error_details: details,
      attempts: 1, review_status: "pending",
    });
    expect(entries[0]!.job_snapshot).toMatchObject({ id: job!.id, tenant_id: "tenant-0", max_attempts: 1, payload: seeded!.payload });
  });

  it("DLQ on: a non-retryable error dead-letters at once, attempts left or not", async () => {
    await seedJobs(db.sql, 1, { maxAttempts: 5 });
    const [job] = await claimJobs(db.sql, "w1");
    expect(await failJob(db.sql, "w1", job!, "invalid payload", { retryable: false })).toBe("dead_lettered");
    expect(await db.sql`select 1 from public.job_dlq where job_id = ${job!.id}`).toHaveLength(1);
  });

  it("DLQ off: failing for good marks the job failed, as before; nothing in job_dlq", async () => {
    await setSettledFlag(db.sql, "DLQ_ENABLED", false, 100);
    await seedJobs(db.sql, 1, { maxAttempts: 1 });
    const [job] = await claimJobs(db.sql, "w1");
    expect(await failJob(db.sql, "w1", job!, "boom")).toBe("failed");
    expect(await jobRow(job!.id)).toMatchObject({ status: "failed", last_error: "boom" });
    expect((await jobRow(job!.id))!.finished_at).toBeInstanceOf(Date);
    expect(await db.sql`select 1 from public.job_dlq`).toHaveLength(0);
  });

  it("a job failing for good while a DLQ entry for it is open reopens that entry (in job_dlq once)", async () => {
    await seedJobs(db.sql, 1, { maxAttempts: 1 });
    let [job] = await claimJobs(db.sql, "w1");
    await failJob(db.sql, "w1", job!, "first");
    const [entry] = await db.sql`select id from public.job_dlq`;
    expect(await db.sql`select public.dlq_retry_entry(${entry!.id}) as outcome`).toEqual([{ outcome: "requeued" }]);
    [job] = await claimJobs(db.sql, "w1");
    expect(await failJob(db.sql, "w1", job!, "second")).toBe("dead_lettered");
    const entries = await db.sql`select id, review_status, error_message from public.job_dlq`;
    expect(entries).toEqual([{ id: entry!.id, review_status: "pending", error_message: "second" }]);
  });
});

describe("reclaim_stale_jobs (watchdog)", () => {
  async function runningJob(options: { heartbeatAgo?: string | null; startedAgo: string; attempts?: number; maxAttempts?: number; tenant?: string }) {
    const [row] = await db.sql`
      insert into public.qc_jobs (job_type, status, locked_by, tenant_id, started_at, last_heartbeat_at, attempts, max_attempts, payload)
      values ('test', 'running', 'w-dead', ${options.tenant ?? null},
              now() - ${options.startedAgo}::interval,
              case when ${options.heartbeatAgo ?? null}::interval is null then null else now() - ${options.heartbeatAgo ?? null}::interval end,
              ${options.attempts ?? 1}, ${options.maxAttempts ?? 3}, '{"k": "v"}')
      returning id`;
    return row!.id as string;
  }

  it("requeues quiet jobs with attempts left, dead-letters the rest, leaves live ones; default 5 minutes", async () => {
    const quiet = await runningJob({ heartbeatAgo: "6 minutes", startedAgo: "1 hour" });
    const neverBeat = await runningJob({ heartbeatAgo: null, startedAgo: "10 minutes" });
    const exhausted = await runningJob({ heartbeatAgo: "6 minutes", startedAgo: "1 hour", attempts: 3, maxAttempts: 3 });
    const live = await runningJob({ heartbeatAgo: "10 seconds", startedAgo: "1 hour" });
    const young = await runningJob({ heartbeatAgo: null, startedAgo: "1 minute" });
    const result = await reclaimStaleJobs(db.sql);
    expect(new Map(result.map((r) => [r.jobId, r.outcome]))).toEqual(
      new Map([[quiet, "requeued"], [neverBeat, "requeued"], [exhausted, "dead_lettered"]]),
    );
    expect(result.find((r) => r.jobId === quiet)).toMatchObject({ workerId: "w-dead", attempt: 1 });
    expect(await jobRow(quiet)).toMatchObject({ status: "pending", locked_by: null, last_heartbeat_at: null });
    expect((await jobRow(quiet))!.last_error).toMatch(/watchdog: worker w-dead showed no sign of life/);
    expect(await jobRow(exhausted)).toBeUndefined();
    const [entry] = await db.sql`select error_details from public.job_dlq where job_id = ${exhausted}`;
    expect(entry!.error_details).toMatchObject({ reason: "heartbeat_timeout", worker_id: "w-dead" });
    expect((await jobRow(live))!.status).toBe("running");
    expect((await jobRow(young))!.status).toBe("running");
    // Nothing is reclaimed twice.
    expect(await reclaimStaleJobs(db.sql)).toEqual([]);
  });

  it("takes a configurable threshold and batch size", async () => {
    for (let i = 0; i < 3; i++) await runningJob({ heartbeatAgo: "30 seconds", startedAgo: "1 hour" });
    expect(await reclaimStaleJobs(db.sql)).toEqual([]);
    expect(await reclaimStaleJobs(db.sql, { staleAfterMs: 20_000, batchSize: 2 })).toHaveLength(2);
    expect(await reclaimStaleJobs(db.sql, { staleAfterMs: 20_000, batchSize: 2 })).toHaveLength(1);
    await expect(reclaimStaleJobs(db.sql, { staleAfterMs: 0 })).rejects.toThrow(/stale_after must be a positive interval/);
  });

  it("where JOB_HEARTBEAT is off, leaves jobs alone within their lease (their workers do not heartbeat)", async () => {
    await setSettledFlag(db.sql, "JOB_HEARTBEAT", false, 100);
    const quiet = await runningJob({ heartbeatAgo: null, startedAgo: "59 minutes" });
    expect(await reclaimStaleJobs(db.sql)).toEqual([]);
    expect((await jobRow(quiet))!.status).toBe("running");
  });

  it("rescues a job past its lease whatever JOB_HEARTBEAT says: default 1 hour, per job type from job_type_settings", async () => {
    await setSettledFlag(db.sql, "JOB_HEARTBEAT", false, 0);
    const pastDefault = await runningJob({ heartbeatAgo: null, startedAgo: "61 minutes" });
    const [short] = await db.sql`
      insert into public.qc_jobs (job_type, status, locked_by, started_at, attempts, max_attempts)
      values ('short', 'running', 'w-dead', now() - interval '3 minutes', 2, 2) returning id`;
    await db.sql`insert into public.job_type_settings (job_type, max_run_time) values ('short', '2 minutes')`;
    const result = await reclaimStaleJobs(db.sql);
    expect(new Map(result.map((r) => [r.jobId, r.outcome]))).toEqual(new Map([[pastDefault, "requeued"], [short!.id, "dead_lettered"]]));
    expect((await jobRow(pastDefault))!.last_error).toMatch(/lease of 01:00:00 expired: worker w-dead/);
    const events = await db.sql`
      select job_id, event, reason, attempt, worker_id from public.job_events
      where job_id in (${pastDefault}, ${short!.id}) order by event desc`;
    expect(events).toEqual([
      { job_id: pastDefault, event: "watchdog_requeued", reason: "lease_expired", attempt: 1, worker_id: "w-dead" },
      { job_id: short!.id, event: "watchdog_dead_lettered", reason: "lease_expired", attempt: 2, worker_id: "w-dead" },
    ]);
    await db.sql`delete from public.job_type_settings`;
  });

  it("a same-value write to JOB_HEARTBEAT does not restart its grace period", async () => {
    const quiet = await runningJob({ heartbeatAgo: null, startedAgo: "30 minutes" });
    await db.sql`update public.feature_flags set enabled = true, rollout_percentage = 100 where key = 'JOB_HEARTBEAT'`;
    await db.sql`update public.feature_flags set description = description || '.' where key = 'JOB_HEARTBEAT'`;
    expect(await reclaimStaleJobs(db.sql)).toEqual([expect.objectContaining({ jobId: quiet, outcome: "requeued" })]);
  });

  it("waits one threshold after JOB_HEARTBEAT changed, so newly covered jobs can heartbeat first", async () => {
    const quiet = await runningJob({ heartbeatAgo: null, startedAgo: "30 minutes" });
    await setSettledFlag(db.sql, "JOB_HEARTBEAT", true, 100, "1 minute");
    expect(await reclaimStaleJobs(db.sql)).toEqual([]);
    expect(await reclaimStaleJobs(db.sql, { staleAfterMs: 30_000 })).toEqual([expect.objectContaining({ jobId: quiet })]);
  });
});
