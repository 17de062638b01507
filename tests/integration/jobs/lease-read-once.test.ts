// The watchdog reads the leases once per run (migration 20261202150000) and must answer exactly as
// public.job_max_run_time does per job: the same jobs rescued, in the same order up to the batch
// size, for the same reason, with the same lease recorded in job_events. Across a type with its
// own row, types under the '*' row, no '*' row (1 hour), rows changed between runs, and the
// heartbeat rule off, on during a canary, and off for stale_after after JOB_HEARTBEAT changed. On
// the server, with other sessions holding locks: jobs another transaction holds are skipped, and
// job_type_settings is read, never locked.
import { beforeAll, describe, expect, it } from "vitest";
import { reclaimStaleJobs } from "../../../client/job-rpc.ts";
import { connect, type Sql, type TransactionSql } from "../../../scripts/shared/database.ts";
import { setFlag, setSettledFlag } from "../../support/flags.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";
import { usingServer } from "../../support/test-database.ts";

const db = usePushedDatabase();

const JOBS = 400;
const STALE_AFTER = "5 minutes";
/** Job n was last seen n * 13 seconds ago (up to 87 minutes): no two alike, none on a lease's edge. */
const SECONDS_PER_JOB = 13;

interface Leases {
  own: string;
  changed: string | null;
  star: string | null;
}

beforeAll(async () => {
  await db.sql`delete from public.qc_jobs`;
  // Three types: lease-own and lease-changed have rows (lease-changed's is changed between runs),
  // lease-default never has one. Half the jobs bucketed by a tenant, half by their own id.
  await db.sql`
    insert into public.qc_jobs (job_type, status, tenant_id, attempts, max_attempts, locked_by, payload)
    select (array['lease-own', 'lease-default', 'lease-changed'])[n % 3 + 1], 'running',
           case when n % 2 = 0 then 'tenant-' || (n % 90) end, 1, 3, 'w-' || (n % 7), jsonb_build_object('n', n)
    from generate_series(1, ${JOBS}) as n`;
});

/**
 * Every job running again, job n last seen n * 13 s ago: by its heartbeat (even n, claimed two
 * hours ago) or by its claim (odd n, no heartbeat yet).
 */
async function resetJobs(sql: Sql): Promise<void> {
  await sql`
    update public.qc_jobs q
       set status = 'running', attempts = 1, locked_by = 'w-' || ((q.payload ->> 'n')::int % 7),
           started_at = case when (q.payload ->> 'n')::int % 2 = 0 then now() - interval '2 hours'
                             else now() - (q.payload ->> 'n')::int * ${SECONDS_PER_JOB} * interval '1 second' end,
           last_heartbeat_at = case when (q.payload ->> 'n')::int % 2 = 0
                                    then now() - (q.payload ->> 'n')::int * ${SECONDS_PER_JOB} * interval '1 second' end`;
  await sql`delete from public.job_events`;
}

async function setLeases(sql: Sql, leases: Leases): Promise<void> {
  await sql`delete from public.job_type_settings`;
  const rows = [
    { job_type: "lease-own", max_run_time: leases.own },
    ...(leases.changed ? [{ job_type: "lease-changed", max_run_time: leases.changed }] : []),
    ...(leases.star ? [{ job_type: "*", max_run_time: leases.star }] : []),
  ];
  await sql`insert into public.job_type_settings ${sql(rows)}`;
}

interface Rescue {
  id: string;
  reason: string;
  lease: string;
}

/**
 * What the per-row rule says, oldest sign of life first: heartbeat_timeout where the rule is on
 * and flag_enabled puts the job on, else lease_expired past job_max_run_time; the lease is
 * job_max_run_time's. In the caller's transaction, so now() is the watchdog's.
 */
async function perRowRule(sql: Sql, heartbeatRule: boolean): Promise<Rescue[]> {
  const rows = await sql`
    select id, reason, lease from (
      select q.id::text as id,
             case when ${heartbeatRule}
                       and public.flag_enabled('JOB_HEARTBEAT', public.job_flag_subject(q.tenant_id, q.id))
                       and coalesce(q.last_heartbeat_at, q.started_at) < now() - ${STALE_AFTER}::interval then 'heartbeat_timeout'
                  when coalesce(q.last_heartbeat_at, q.started_at) < now() - public.job_max_run_time(q.job_type) then 'lease_expired'
             end as reason,
             public.job_max_run_time(q.job_type)::text as lease,
             coalesce(q.last_heartbeat_at, q.started_at) as last_seen_at
      from public.qc_jobs q
      where q.status = 'running') as jobs
    where reason is not null
    order by last_seen_at`;
  return rows.map((r) => ({ id: r.id as string, reason: r.reason as string, lease: r.lease as string }));
}

/** The watchdog's rescues in the order it returned them, each with the reason and lease job_events recorded. */
async function watchdogRescues(sql: Sql, batchSize: number): Promise<Rescue[]> {
  const reclaimed = await reclaimStaleJobs(sql, { batchSize });
  const events = await sql`
    select job_id, reason, detail ->> 'max_run_time' as lease from public.job_events
    where event like 'watchdog\\_%' and job_id = any(${reclaimed.map((r) => r.jobId)}::text[])`;
  const recorded = new Map(events.map((e) => [e.job_id as string, e]));
  expect(events).toHaveLength(reclaimed.length);
  return reclaimed.map((r) => ({ id: r.jobId, reason: recorded.get(r.jobId)!.reason as string, lease: recorded.get(r.jobId)!.lease as string }));
}

/** Runs the per-row rule and the watchdog in one transaction (one now()) and compares them. */
async function expectSameRescues(heartbeatRule: boolean, batchSize = 10_000): Promise<Rescue[]> {
  await resetJobs(db.sql);
  let expected: Rescue[] = [];
  let rescued: Rescue[] = [];
  await db.sql.begin(async (tx) => {
    expected = (await perRowRule(tx as unknown as Sql, heartbeatRule)).slice(0, batchSize);
    rescued = await watchdogRescues(tx as unknown as Sql, batchSize);
  });
  expect(rescued).toEqual(expected);
  return expected;
}

const leaseCases: { name: string; leases: Leases; defaultLease: string }[] = [
  { name: "own rows and a '*' row", leases: { own: "10 minutes", changed: "30 minutes", star: "20 minutes" }, defaultLease: "00:20:00" },
  { name: "own rows and no '*' row (1 hour)", leases: { own: "10 minutes", changed: "30 minutes", star: null }, defaultLease: "01:00:00" },
];

const heartbeatCases = [
  { name: "JOB_HEARTBEAT disabled", heartbeatRule: false, set: (sql: Sql) => setSettledFlag(sql, "JOB_HEARTBEAT", false, 0) },
  { name: "a settled JOB_HEARTBEAT canary at 20 %", heartbeatRule: true, set: (sql: Sql) => setSettledFlag(sql, "JOB_HEARTBEAT", true, 20) },
  // Changed just now: the heartbeat rule waits stale_after, only leases rescue meanwhile.
  { name: "JOB_HEARTBEAT at 100 % since just now", heartbeatRule: false, set: (sql: Sql) => setFlag(sql, "JOB_HEARTBEAT", true, 100) },
];

describe.each(leaseCases)("leases: $name", (leaseCase) => {
  describe.each(heartbeatCases)("$name", (heartbeat) => {
    it("the watchdog rescues the jobs job_max_run_time and the flag name, oldest first, for the same reason and lease", async () => {
      await setLeases(db.sql, leaseCase.leases);
      await heartbeat.set(db.sql);
      const expected = await expectSameRescues(heartbeat.heartbeatRule);
      // Each type past its own lease, and only past it: the lease recorded for each type is its own.
      const leaseByType = new Map<string, Set<string>>();
      const types = await db.sql`select id::text as id, job_type from public.qc_jobs`;
      const typeOf = new Map(types.map((t) => [t.id as string, t.job_type as string]));
      for (const rescue of expected) {
        const type = typeOf.get(rescue.id)!;
        leaseByType.set(type, (leaseByType.get(type) ?? new Set()).add(rescue.lease));
      }
      expect(Object.fromEntries([...leaseByType].map(([type, leases]) => [type, [...leases]]))).toEqual({
        "lease-own": ["00:10:00"],
        "lease-changed": ["00:30:00"],
        "lease-default": [leaseCase.defaultLease],
      });
      expect(expected.some((r) => r.reason === "lease_expired")).toBe(true);
      expect(expected.some((r) => r.reason === "heartbeat_timeout")).toBe(heartbeat.heartbeatRule);
      expect(expected.length).toBeLessThan(JOBS);
    });
  });

  it("with a batch smaller than the rescues: the same oldest ones", async () => {
    await setLeases(db.sql, leaseCase.leases);
    await setSettledFlag(db.sql, "JOB_HEARTBEAT", true, 20);
    const expected = await expectSameRescues(true, 25);
    expect(expected).toHaveLength(25);
  });
});

describe("leases changed between runs", () => {
  it("each run applies the rows as they are when it runs: a type's row lengthened, then removed, then '*' shortened", async () => {
    await setSettledFlag(db.sql, "JOB_HEARTBEAT", false, 0);
    await setLeases(db.sql, { own: "10 minutes", changed: "30 minutes", star: "20 minutes" });
    const before = await expectSameRescues(false);

    await db.sql`update public.job_type_settings set max_run_time = interval '45 minutes' where job_type = 'lease-changed'`;
    const lengthened = await expectSameRescues(false);
    expect(lengthened.length).toBeLessThan(before.length);
    expect(new Set(lengthened.map((r) => r.lease))).toContain("00:45:00");

    await db.sql`delete from public.job_type_settings where job_type = 'lease-changed'`;
    const removed = await expectSameRescues(false);
    expect(new Set(removed.map((r) => r.lease))).toEqual(new Set(["00:10:00", "00:20:00"]));

    await db.sql`update public.job_type_settings set max_run_time = interval '15 minutes' where job_type = '*'`;
    const shortened = await expectSameRescues(false);
    expect(shortened.length).toBeGreaterThan(removed.length);
    expect(new Set(shortened.map((r) => r.lease))).toEqual(new Set(["00:10:00", "00:15:00"]));
  });
});

// PGlite is one session shared by every connection: locks of "other" sessions need the server.
describe.skipIf(!usingServer)("with other sessions holding locks (server only)", () => {
  /** A transaction on its own connection, held open until the returned release() is called; rolled back. */
  async function holdOpen(work: (tx: TransactionSql) => Promise<void>): Promise<{ release: () => Promise<void> }> {
    const sql = connect(db.url);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let ready!: () => void;
    let failed!: (error: unknown) => void;
    const started = new Promise<void>((resolve, reject) => ((ready = resolve), (failed = reject)));
    const rolledBack = new Error("rolled back on purpose");
    const done = sql
      .begin(async (tx) => {
        await work(tx);
        ready();
        await released;
        throw rolledBack;
      })
      .catch((error) => {
        if (error !== rolledBack) failed(error);
      })
      .finally(() => sql.end({ timeout: 5 }));
    await started;
    return { release: async () => (release(), await done) };
  }

  it("skips a job another transaction holds, and reads the committed lease under another's uncommitted change without waiting", async () => {
    await setSettledFlag(db.sql, "JOB_HEARTBEAT", true, 20);
    await setLeases(db.sql, { own: "10 minutes", changed: "30 minutes", star: "20 minutes" });
    await resetJobs(db.sql);
    const [oldest] = await db.sql`
      select id::text as id from public.qc_jobs
      where coalesce(last_heartbeat_at, started_at) < now() - interval '30 minutes' order by coalesce(last_heartbeat_at, started_at) limit 1`;
    const other = await holdOpen(async (tx) => {
      await tx`select id from public.qc_jobs where id = ${oldest!.id}::uuid for update`;
      await tx`update public.job_type_settings set max_run_time = interval '1 hour' where job_type in ('lease-own', '*')`;
    });
    try {
      let expected: Rescue[] = [];
      let rescued: Rescue[] = [];
      await db.sql.begin(async (tx) => {
        // Waiting on the other transaction's locks would fail here instead of hanging.
        await tx`set local lock_timeout = '2s'`;
        expected = (await perRowRule(tx as unknown as Sql, true)).filter((r) => r.id !== oldest!.id);
        rescued = await watchdogRescues(tx as unknown as Sql, 10_000);
      });
      expect(rescued).toEqual(expected);
      expect(new Set(rescued.map((r) => r.lease))).toEqual(new Set(["00:10:00", "00:20:00", "00:30:00"]));
    } finally {
      await other.release();
    }
    const [held] = await db.sql`select status from public.qc_jobs where id = ${oldest!.id}::uuid`;
    expect(held!.status).toBe("running");
  });

  it("locks the jobs it rescues, and no row of job_type_settings", async () => {
    await setSettledFlag(db.sql, "JOB_HEARTBEAT", false, 0);
    await setLeases(db.sql, { own: "10 minutes", changed: "30 minutes", star: "20 minutes" });
    await resetJobs(db.sql);
    const probe = connect(db.url);
    try {
      await db.sql.begin(async (tx) => {
        const rescued = await reclaimStaleJobs(tx as unknown as Sql, { batchSize: 10_000 });
        expect(rescued.length).toBeGreaterThan(0);
        // While the watchdog's transaction is open: every settings row can be locked by another
        // session at once, a rescued job cannot.
        const settings = await probe.begin(async (other) => other`select job_type from public.job_type_settings for update nowait`);
        expect(settings.map((r) => r.job_type).sort()).toEqual(["*", "lease-changed", "lease-own"]);
        await expect(
          probe.begin(async (other) => other`select id from public.qc_jobs where id = ${rescued[0]!.jobId}::uuid for update nowait`),
        ).rejects.toMatchObject({ code: "55P03" });
      });
    } finally {
      await probe.end({ timeout: 5 });
    }
  });
});
