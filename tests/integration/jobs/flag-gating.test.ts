// Flag gating on both sides: the database (RPCs, watchdog) and app code (the rollout core with
// jobSubject) agree on which jobs get heartbeats, rescue and dead-lettering, with each flag off,
// on, and at 5 %. Half the jobs have a tenant (bucketed by tenant), half not (bucketed by id).
import { describe, expect, it } from "vitest";
import { evaluateFlag } from "../../../functions/_shared/rollout.ts";
import { jobSubject } from "../../../client/job-subject.ts";
import { claimJobs, failJob, heartbeatJob, reclaimStaleJobs, type ClaimedJob } from "../../../client/job-rpc.ts";
import { seedJobs } from "../../support/job-fixtures.ts";
import { setSettledFlag } from "../../support/flags.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const JOBS = 400;
const settings = [
  { name: "off", enabled: false, percentage: 100 },
  { name: "on", enabled: true, percentage: 100 },
  { name: "at 5 %", enabled: true, percentage: 5 },
] as const;

const db = usePushedDatabase();

async function claimFreshJobs(maxAttempts: number): Promise<ClaimedJob[]> {
  await db.sql`delete from public.qc_jobs`;
  await db.sql`delete from public.job_dlq`;
  // 100 tenants with 2 jobs each, then 200 jobs without a tenant.
  await seedJobs(db.sql, JOBS, { maxAttempts, tenantOf: (i) => (i < 200 ? `tenant-${i % 100}` : null) });
  const claimed = await claimJobs(db.sql, "gate-worker", { limit: 1000 });
  expect(claimed).toHaveLength(JOBS);
  return claimed;
}

/** What app code computes for a job with the rollout core. */
function appSideOn(key: string, setting: (typeof settings)[number], job: ClaimedJob): boolean {
  return evaluateFlag({ key, enabled: setting.enabled, rolloutPercentage: setting.percentage, bucketGroup: key }, job.subject).value;
}

function expectShare(on: number, setting: (typeof settings)[number]) {
  if (!setting.enabled) expect(on).toBe(0);
  else if (setting.percentage === 100) expect(on).toBe(JOBS);
  else {
    // 5 % of 300 subjects: some, but far from all.
    expect(on).toBeGreaterThan(0);
    expect(on).toBeLessThan(JOBS / 4);
  }
}

describe("the job subject", () => {
  it("is the same string in SQL and in app code: tenant, else id", async () => {
    const jobs = await claimFreshJobs(3);
    const rows = await db.sql`select id, tenant_id, public.job_flag_subject(tenant_id, id) as subject from public.qc_jobs`;
    const bySql = new Map(rows.map((r) => [r.id as string, r]));
    for (const job of jobs) {
      const row = bySql.get(job.id)!;
      // The claimed job carries the database's subject; jobSubject computes the same from the row.
      expect(job.subject).toBe(row.subject);
      expect(jobSubject({ id: job.id, tenant_id: row.tenant_id as string | null })).toBe(row.subject);
    }
    expect(jobs.filter((j) => j.subject === j.id)).toHaveLength(200);
  });
});

describe.each(settings)("JOB_HEARTBEAT $name", (setting) => {
  it("heartbeats are recorded exactly for the jobs app code sees the flag on for", async () => {
    const jobs = await claimFreshJobs(3);
    await setSettledFlag(db.sql, "JOB_HEARTBEAT", setting.enabled, setting.percentage);
    let on = 0;
    for (const job of jobs) {
      const expected = appSideOn("JOB_HEARTBEAT", setting, job);
      const result = await heartbeatJob(db.sql, "gate-worker", job, 0);
      expect(result, job.subject).toEqual({ owned: true, recorded: expected, reason: expected ? "recorded" : "flag_off" });
      if (expected) on++;
    }
    expectShare(on, setting);
    const [row] = await db.sql`select count(*)::int as n from public.qc_jobs where last_heartbeat_at is not null`;
    expect(row!.n).toBe(on);
  });

  it("the watchdog rescues exactly those jobs", async () => {
    const jobs = await claimFreshJobs(3);
    // Quiet for longer than the heartbeat threshold, within the default lease (1 hour).
    await db.sql`update public.qc_jobs set started_at = now() - interval '30 minutes'`;
    await setSettledFlag(db.sql, "JOB_HEARTBEAT", setting.enabled, setting.percentage);
    const reclaimed = new Set((await reclaimStaleJobs(db.sql, { batchSize: 1000 })).map((r) => r.jobId));
    const expected = new Set(jobs.filter((job) => appSideOn("JOB_HEARTBEAT", setting, job)).map((j) => j.id));
    expect(reclaimed).toEqual(expected);
    expectShare(reclaimed.size, setting);
  });
});

describe.each(settings)("DLQ_ENABLED $name", (setting) => {
  it("jobs failing for good are dead-lettered exactly where app code sees the flag on, else marked failed", async () => {
    const jobs = await claimFreshJobs(1);
    await setSettledFlag(db.sql, "DLQ_ENABLED", setting.enabled, setting.percentage);
    let on = 0;
    for (const job of jobs) {
      const expected = appSideOn("DLQ_ENABLED", setting, job);
      expect(await failJob(db.sql, "gate-worker", job, "boom"), job.subject).toBe(expected ? "dead_lettered" : "failed");
      if (expected) on++;
    }
    expectShare(on, setting);
    const [counts] = await db.sql`
      select (select count(*)::int from public.job_dlq) as dead_lettered,
             (select count(*)::int from public.qc_jobs where status = 'failed') as failed`;
    expect(counts).toEqual({ dead_lettered: on, failed: JOBS - on });
  });
});
