// Redrive of 10,000 dead-letter entries in batches keeps each job exactly once: every entry in
// the filter (job type and time range) puts its job back once, nothing outside the filter moves,
// a second redrive does nothing. On the server two redrivers run at once on separate connections
// (SKIP LOCKED splits the entries between them); on PGlite one runs.
import { beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../../scripts/shared/database.ts";
import { redriveDeadLetters, type RedriveFilter, type RedriveProgress } from "../../../client/dlq-operations.ts";
import { usingServer } from "../../support/test-database.ts";
import { setSettledFlag } from "../../support/flags.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const IN_FILTER = 10_000;
const filter: RedriveFilter = {
  jobType: "email",
  failedFrom: new Date("2026-11-01T00:00:00Z"),
  failedTo: new Date("2026-11-08T00:00:00Z"),
};
const db = usePushedDatabase();

beforeAll(async () => {
  await setSettledFlag(db.sql, "DLQ_ENABLED", true, 100);
  // 10,000 email jobs that failed inside the week, 500 email jobs after it, 500 billing jobs inside it.
  await db.sql`
    insert into public.qc_jobs (job_type, status, tenant_id, payload, attempts, max_attempts, locked_by, started_at)
    select case when n > ${IN_FILTER} + 500 then 'billing' else 'email' end, 'running', 'tenant-' || (n % 50),
           jsonb_build_object('n', n, 'text', 'ünïcødé ' || n, 'nested', jsonb_build_array(n, n * 1.5, null)),
           3, 3, 'w', now()
    from generate_series(1, ${IN_FILTER} + 1000) as n`;
  await db.sql`select public.fail_job_for_good(q, 'boom', '{}'::jsonb) from public.qc_jobs q`;
  await db.sql`
    update public.job_dlq
       set first_failed_at = failed_at, last_failed_at = failed_at
      from (select id as entry_id,
                   case when (payload ->> 'n')::int between ${IN_FILTER} + 1 and ${IN_FILTER} + 500
                        then timestamptz '2026-11-09T00:00:00Z'
                        else timestamptz '2026-11-01T00:00:00Z' + ((payload ->> 'n')::int % 10000) * interval '1 minute' end as failed_at
            from public.job_dlq) as times
     where id = entry_id`;
});

describe("dlq_redrive", () => {
  it("redrives 10,000 entries in batches, each job back in qc_jobs exactly once", async () => {
    expect(await db.sql`select count(*)::int as n from public.job_dlq where review_status = 'pending'`).toEqual([{ n: IN_FILTER + 1000 }]);
    expect(await db.sql`select count(*)::int as n from public.qc_jobs`).toEqual([{ n: 0 }]);

    const redrivers = usingServer ? [connect(db.url), connect(db.url)] : [db.sql];
    const progress: RedriveProgress[] = await Promise.all(
      redrivers.map((sql, i) => redriveDeadLetters(sql, filter, { batchSize: 1000, actor: `redriver-${i}` })),
    );
    if (usingServer) await Promise.all(redrivers.map((sql) => sql.end({ timeout: 5 })));

    const requeued = progress.reduce((sum, p) => sum + p.requeued, 0);
    expect(requeued).toBe(IN_FILTER);
    expect(progress.every((p) => p.skipped === 0)).toBe(true);
    expect(progress.reduce((sum, p) => sum + p.batches, 0)).toBeGreaterThanOrEqual(IN_FILTER / 1000);

    const [state] = await db.sql`
      select
        (select count(*)::int from public.qc_jobs) as jobs,
        (select count(distinct id)::int from public.qc_jobs) as distinct_jobs,
        (select count(*)::int from public.qc_jobs q
          where q.status = 'pending' and q.attempts = 0
            and exists (select 1 from public.job_dlq d where d.job_id = q.id and d.review_status = 'retrying' and d.payload = q.payload)) as jobs_matching_their_entry,
        (select count(*)::int from public.job_dlq where review_status = 'retrying') as retrying,
        (select count(*)::int from public.job_dlq where review_status = 'pending' and (job_type = 'billing' or last_failed_at >= ${filter.failedTo!})) as untouched,
        (select count(*)::int from public.job_dlq_actions where action = 'redrive' and outcome = 'requeued') as actions,
        (select count(distinct entry_id)::int from public.job_dlq_actions) as entries_acted_on`;
    expect(state).toEqual({
      jobs: IN_FILTER, distinct_jobs: IN_FILTER, jobs_matching_their_entry: IN_FILTER,
      retrying: IN_FILTER, untouched: 1000, actions: IN_FILTER, entries_acted_on: IN_FILTER,
    });
    if (usingServer) {
      // Both redrivers did part of the work, and each entry was acted on by one of them.
      const actors = await db.sql`select actor, count(*)::int as n from public.job_dlq_actions group by actor order by actor`;
      expect(actors.map((a) => a.actor)).toEqual(["redriver-0", "redriver-1"]);
    }
  });

  it("a second redrive of the same range does nothing", async () => {
    expect(await redriveDeadLetters(db.sql, filter, { batchSize: 1000 })).toEqual({ batches: 0, requeued: 0, skipped: 0 });
    expect(await db.sql`select count(*)::int as n from public.qc_jobs`).toEqual([{ n: IN_FILTER }]);
  });

  it("refuses a bad batch size or an empty range", async () => {
    await expect(redriveDeadLetters(db.sql, filter, { batchSize: 0 })).rejects.toThrow(/batch_size must be between 1 and 10000/);
    await expect(redriveDeadLetters(db.sql, { ...filter, failedFrom: filter.failedTo })).rejects.toThrow(/must be before failed_to/);
  });
});
