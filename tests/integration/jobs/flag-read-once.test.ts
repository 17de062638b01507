// The watchdog and heartbeat_job read JOB_HEARTBEAT's row once per statement (migration
// 20261202140000) and must answer exactly as public.flag_enabled does per job: the same jobs
// rescued, for the same reason, and the same heartbeats recorded, at partial percentages (a canary
// cohort), at 0 % and 100 %, disabled, in another bucket group, and with the flag's row gone.
import { beforeAll, describe, expect, it } from "vitest";
import { reclaimStaleJobs } from "../../../client/job-rpc.ts";
import { setFlag, setSettledFlag } from "../../support/flags.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";
import type { Sql } from "../../../scripts/shared/database.ts";

const db = usePushedDatabase();

const QUIET = 300;
const EXPIRED = 20;
const cases = [
  { enabled: true, percentage: 5, group: "JOB_HEARTBEAT" },
  { enabled: true, percentage: 33.33, group: "RELIABILITY" },
  { enabled: true, percentage: 0.01, group: "JOB_HEARTBEAT" },
  { enabled: true, percentage: 99.99, group: "JOB_HEARTBEAT" },
  { enabled: true, percentage: 100, group: "JOB_HEARTBEAT" },
  { enabled: true, percentage: 0, group: "JOB_HEARTBEAT" },
  { enabled: false, percentage: 100, group: "JOB_HEARTBEAT" },
] as const;

beforeAll(async () => {
  await db.sql`delete from public.qc_jobs`;
  // Half the jobs bucketed by a tenant (two jobs per tenant), half by their own id.
  await db.sql`
    insert into public.qc_jobs (job_type, status, tenant_id, attempts, max_attempts, locked_by)
    select 'flag-read', 'running', case when n % 2 = 0 then 'tenant-' || (n % 150) end, 1, 3, 'w-' || (n % 7)
    from generate_series(1, ${QUIET + EXPIRED}) as n`;
});

/** Every job running again: quiet for 30 minutes (within the 1-hour lease), EXPIRED of them for 2 hours. */
async function resetJobs(sql: Sql): Promise<void> {
  await sql`
    update public.qc_jobs
       set status = 'running', attempts = 1, last_heartbeat_at = null, locked_by = 'w-' || (abs(hashtext(id::text)) % 7),
           started_at = now() - interval '30 minutes'`;
  await sql`
    update public.qc_jobs set started_at = now() - interval '2 hours'
     where id in (select id from public.qc_jobs order by id limit ${EXPIRED})`;
}

/** Per job, what the per-row rule says: rescued by heartbeat timeout, by lease, or not at all. */
async function perRowRule(sql: Sql): Promise<Map<string, string>> {
  const rows = await sql`
    select id::text as id,
           case when public.flag_enabled('JOB_HEARTBEAT', public.job_flag_subject(tenant_id, id)) then 'heartbeat_timeout'
                when started_at < now() - interval '1 hour' then 'lease_expired' end as reason
    from public.qc_jobs`;
  return new Map(rows.filter((r) => r.reason !== null).map((r) => [r.id as string, r.reason as string]));
}

async function watchdogReasons(sql: Sql): Promise<Map<string, string>> {
  const reclaimed = await reclaimStaleJobs(sql, { batchSize: 10_000 });
  const events = await sql`select job_id, reason from public.job_events where job_id = any(${reclaimed.map((r) => r.jobId)}::text[])`;
  return new Map(events.map((e) => [e.job_id as string, e.reason as string]));
}

describe.each(cases)("JOB_HEARTBEAT enabled $enabled at $percentage % in bucket group $group", (flag) => {
  it("the watchdog rescues exactly the jobs flag_enabled and the lease name, for the same reason", async () => {
    await resetJobs(db.sql);
    await db.sql`delete from public.job_events`;
    await setFlag(db.sql, "JOB_HEARTBEAT", flag.enabled, flag.percentage, flag.group);
    await setSettledFlag(db.sql, "JOB_HEARTBEAT", flag.enabled, flag.percentage);
    const expected = await perRowRule(db.sql);
    const heartbeatRescues = [...expected.values()].filter((r) => r === "heartbeat_timeout").length;
    if (!flag.enabled || flag.percentage === 0) expect(heartbeatRescues).toBe(0);
    else if (flag.percentage === 100) expect(heartbeatRescues).toBe(QUIET + EXPIRED);
    else if (flag.percentage >= 5 && flag.percentage < 99) {
      // A canary: some jobs, far from all.
      expect(heartbeatRescues).toBeGreaterThan(0);
      expect(heartbeatRescues).toBeLessThan((QUIET + EXPIRED) / 2);
    }
    expect(await watchdogReasons(db.sql)).toEqual(expected);
  });

  it("heartbeat_job records exactly where flag_enabled is on, and answers flag_off or throttled elsewhere", async () => {
    await resetJobs(db.sql);
    await setFlag(db.sql, "JOB_HEARTBEAT", flag.enabled, flag.percentage, flag.group);
    const first = await db.sql`
      select public.flag_enabled('JOB_HEARTBEAT', public.job_flag_subject(q.tenant_id, q.id)) as expected, b.owned, b.recorded, b.reason
      from public.qc_jobs q
      cross join lateral public.heartbeat_job(q.id, q.locked_by, null, interval '0 seconds') as b`;
    expect(first).toHaveLength(QUIET + EXPIRED);
    for (const row of first) {
      expect(row).toEqual({ expected: row.expected, owned: true, recorded: row.expected, reason: row.expected ? "recorded" : "flag_off" });
    }
    // Again within min_interval: the canary's heartbeats are throttled, the rest still flag_off.
    const second = await db.sql`
      select public.flag_enabled('JOB_HEARTBEAT', public.job_flag_subject(q.tenant_id, q.id)) as expected, b.recorded, b.reason
      from public.qc_jobs q
      cross join lateral public.heartbeat_job(q.id, q.locked_by, null, interval '1 hour') as b`;
    for (const row of second) {
      expect(row).toEqual({ expected: row.expected, recorded: false, reason: row.expected ? "throttled" : "flag_off" });
    }
  });
});

describe("JOB_HEARTBEAT's row gone (an unknown flag is off)", () => {
  it("the watchdog rescues by lease only and heartbeat_job answers flag_off", async () => {
    await resetJobs(db.sql);
    await db.sql`delete from public.job_events`;
    const rollback = new Error("rolled back on purpose");
    await expect(
      db.sql.begin(async (tx) => {
        await tx`delete from public.feature_flags where key = 'JOB_HEARTBEAT'`;
        const reasons = await watchdogReasons(tx as unknown as Sql);
        expect(reasons.size).toBe(EXPIRED);
        expect(new Set(reasons.values())).toEqual(new Set(["lease_expired"]));
        const beats = await tx`
          select b.reason, count(*)::int as n
          from public.qc_jobs q cross join lateral public.heartbeat_job(q.id, q.locked_by, null, interval '0 seconds') as b
          where q.status = 'running' group by b.reason`;
        expect(beats).toEqual([{ reason: "flag_off", n: QUIET }]);
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    const [flagRow] = await db.sql`select count(*)::int as n from public.feature_flags where key = 'JOB_HEARTBEAT'`;
    expect(flagRow!.n).toBe(1);
  });
});
