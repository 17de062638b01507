// DLQ operations: retry one entry (twice: enqueued once), discard with a reason, who and when
// recorded, the retried job's later completion or failure closes or reopens its entry.
// Runs on PGlite and on the server.
import { beforeEach, describe, expect, it } from "vitest";
import { claimJobs, completeJob, failJob } from "../../../client/job-rpc.ts";
import { discardDeadLetter, retryDeadLetter } from "../../../client/dlq-operations.ts";
import { resetJobs, seedJobs } from "../../support/job-fixtures.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const db = usePushedDatabase();
beforeEach(() => resetJobs(db.sql, ["DLQ_ENABLED"]));

/** A job dead-lettered the way workers do it: claimed, then failed for good. */
async function deadLetteredJob(tenant: string | null = "tenant-a") {
  const [seeded] = await seedJobs(db.sql, 1, { maxAttempts: 2, tenantOf: () => tenant });
  await db.sql`update public.qc_jobs set created_at = '2026-01-02T03:04:05Z' where id = ${seeded!.id}`;
  const [job] = await claimJobs(db.sql, "w1");
  expect(await failJob(db.sql, "w1", job!, "boom", { retryable: false, details: { code: 7 } })).toBe("dead_lettered");
  const [entry] = await db.sql`select id from public.job_dlq where job_id = ${seeded!.id}`;
  return { job: seeded!, entryId: entry!.id as string };
}

describe("dlq_retry_entry", () => {
  it("puts the job back once, with its id, tenant, max_attempts, created_at and payload; a second retry does nothing", async () => {
    const { job, entryId } = await deadLetteredJob();
    expect(await retryDeadLetter(db.sql, entryId, { actor: "ops@example.com", note: "fixed upstream" })).toBe("requeued");
    expect(await retryDeadLetter(db.sql, entryId, { actor: "ops@example.com" })).toBe("not_pending");
    const rows = await db.sql`select * from public.qc_jobs where id = ${job.id}`;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: "pending", attempts: 0, max_attempts: 2, tenant_id: "tenant-a", payload: job.payload,
      locked_by: null, started_at: null, last_heartbeat_at: null, last_error: "boom",
    });
    expect((rows[0]!.created_at as Date).toISOString()).toBe("2026-01-02T03:04:05.000Z");
    const [entry] = await db.sql`select review_status, resolution_note from public.job_dlq where id = ${entryId}`;
    expect(entry).toEqual({ review_status: "retrying", resolution_note: "fixed upstream" });
  });

  it("records who and when for each call: the session actor, a JWT subject, else the database role", async () => {
    const { entryId } = await deadLetteredJob();
    await retryDeadLetter(db.sql, entryId, { actor: "ops@example.com" });
    await db.sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: "user-123", role: "service_role" })}, true)`;
      await tx`select public.dlq_retry_entry(${entryId})`;
    });
    await retryDeadLetter(db.sql, entryId);
    const actions = await db.sql`select action, outcome, actor, acted_at from public.job_dlq_actions where entry_id = ${entryId} order by id`;
    expect(actions.map((a) => [a.action, a.outcome, a.actor])).toEqual([
      ["retry", "requeued", "ops@example.com"],
      ["retry", "not_pending", "user-123"],
      ["retry", "not_pending", "postgres"],
    ]);
    for (const a of actions) expect(Math.abs((a.acted_at as Date).getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("a retried job that completes resolves its entry; one that fails for good again reopens it", async () => {
    const first = await deadLetteredJob("tenant-a");
    const second = await deadLetteredJob("tenant-b");
    await retryDeadLetter(db.sql, first.entryId);
    await retryDeadLetter(db.sql, second.entryId);
    const claimed = await claimJobs(db.sql, "w2", { limit: 2 });
    const byId = new Map(claimed.map((j) => [j.id, j]));
    expect(await completeJob(db.sql, "w2", byId.get(first.job.id)!)).toBe(true);
    expect(await failJob(db.sql, "w2", byId.get(second.job.id)!, "again", { retryable: false })).toBe("dead_lettered");
    const entries = await db.sql`select id, review_status, resolved_by, resolved_at is not null as closed from public.job_dlq order by created_at`;
    expect(entries).toEqual([
      { id: first.entryId, review_status: "resolved", resolved_by: "worker:w2", closed: true },
      { id: second.entryId, review_status: "pending", resolved_by: null, closed: false },
    ]);
  });

  it("does not enqueue a job that is already in qc_jobs; closes the entry when it already completed", async () => {
    const queued = await deadLetteredJob("tenant-a");
    const done = await deadLetteredJob("tenant-b");
    // Someone re-created both jobs by hand: one still pending, one already completed.
    await db.sql`insert into public.qc_jobs (id, job_type, status) values (${queued.job.id}, 'test', 'pending'), (${done.job.id}, 'test', 'completed')`;
    expect(await retryDeadLetter(db.sql, queued.entryId)).toBe("already_queued");
    expect(await retryDeadLetter(db.sql, done.entryId)).toBe("already_completed");
    expect(await db.sql`select count(*)::int as n from public.qc_jobs`).toEqual([{ n: 2 }]);
    const [closed] = await db.sql`select review_status from public.job_dlq where id = ${done.entryId}`;
    expect(closed!.review_status).toBe("resolved");
  });

  it("an unknown entry is a clear error", async () => {
    await expect(retryDeadLetter(db.sql, "00000000-0000-0000-0000-000000000000")).rejects.toThrow(/no dead-letter entry/);
  });
});

describe("dlq_discard_entry", () => {
  it("closes a pending entry with its reason, who and when; needs a reason; leaves the job out of qc_jobs", async () => {
    const { job, entryId } = await deadLetteredJob();
    await expect(discardDeadLetter(db.sql, entryId, "  ")).rejects.toThrow(/a reason is required/);
    expect(await discardDeadLetter(db.sql, entryId, "customer deleted", { actor: "ops@example.com" })).toBe("discarded");
    expect(await discardDeadLetter(db.sql, entryId, "again")).toBe("not_pending");
    expect(await retryDeadLetter(db.sql, entryId)).toBe("not_pending");
    const [entry] = await db.sql`select review_status, resolved_by, resolution_note, resolved_at from public.job_dlq where id = ${entryId}`;
    expect(entry).toMatchObject({ review_status: "discarded", resolved_by: "ops@example.com", resolution_note: "customer deleted" });
    expect(entry!.resolved_at).toBeInstanceOf(Date);
    expect(await db.sql`select 1 from public.qc_jobs where id = ${job.id}`).toHaveLength(0);
    const actions = await db.sql`select action, outcome from public.job_dlq_actions where entry_id = ${entryId} order by id`;
    expect(actions.map((a) => `${a.action}:${a.outcome}`)).toEqual(["discard:discarded", "discard:not_pending", "retry:not_pending"]);
  });
});

describe("grants", () => {
  it("anon and authenticated cannot call the DLQ operations or worker RPCs; service_role can", async () => {
    const fns = [
      "public.dlq_retry_entry(uuid, text)", "public.dlq_redrive(text, timestamptz, timestamptz, integer, text)",
      "public.dlq_discard_entry(uuid, text)", "public.claim_jobs(text, integer, text[])",
      "public.heartbeat_job(uuid, text, integer, interval)", "public.reclaim_stale_jobs(interval, integer)",
    ];
    for (const fn of fns) {
      const [row] = await db.sql`
        select has_function_privilege('anon', ${fn}, 'execute') as anon,
               has_function_privilege('authenticated', ${fn}, 'execute') as authenticated,
               has_function_privilege('service_role', ${fn}, 'execute') as service_role`;
      expect(row, fn).toEqual({ anon: false, authenticated: false, service_role: true });
    }
    // And as the role itself, through the API's way of switching roles.
    await expect(db.sql.begin(async (tx) => {
      await tx`set local role authenticated`;
      await tx`select public.claim_jobs('w', 1, null)`;
    })).rejects.toThrow(/permission denied for function claim_jobs/);
    const claimed = await db.sql.begin(async (tx) => {
      await tx`set local role service_role`;
      return tx`select * from public.claim_jobs('w', 1, null)`;
    });
    expect(claimed).toEqual([]);
  });
});
