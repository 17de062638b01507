// The guarded rollout's SQL twin (migration 20261201120100) agrees with functions/_shared/rollout-guard.ts:
// public.rollout_decide on every shared vector, public.rollout_cohort with cohortOf on generated
// subjects, and public.rollout_signal_counts with counts made here from the same jobs.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import vectors from "../../../functions/_shared/rollout-guard-vectors.json" with { type: "json" };
import { cohortOf, decide, type GuardDecision, type GuardInput } from "../../../functions/_shared/rollout-guard.ts";
import { generateSubjects } from "../../support/subjects.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const db = usePushedDatabase();

describe("rollout_decide agrees with decide", () => {
  it.each(vectors.cases.map((c) => [c.name, c] as const))("%s", async (_, vector) => {
    const [row] = await db.sql`select public.rollout_decide(${db.sql.json(vector.input)}::jsonb) as answer`;
    const fromSql = row!.answer as GuardDecision;
    const fromTs = decide(vector.input as GuardInput);
    expect({ decision: fromSql.decision, state: fromSql.state, reason: fromSql.reason })
      .toEqual({ decision: vector.expected.decision, state: vector.expected.state, reason: vector.expected.reason });
    expect(fromSql.tests).toHaveLength(fromTs.tests.length);
    for (const [i, tsTest] of fromTs.tests.entries()) {
      const sqlTest = fromSql.tests[i]!;
      expect(sqlTest.signal).toBe(tsTest.signal);
      expect(sqlTest.worse).toBe(tsTest.worse);
      for (const field of ["z", "p_value", "canary_rate", "control_rate"] as const) {
        if (tsTest[field] === null) expect(sqlTest[field]).toBeNull();
        else expect(Math.abs(sqlTest[field]! - tsTest[field]!), field).toBeLessThan(1e-12);
      }
    }
  });
});

describe("cohorts", () => {
  it("rollout_cohort puts the same subjects in the canary as cohortOf, at several percentages", async () => {
    const subjects = generateSubjects(20_000, 12);
    for (const percentage of [0.01, 5, 33.33, 99.99]) {
      const rows = await db.sql`
        select public.rollout_cohort('DLQ_ENABLED', subject, ${percentage}) as cohort
          from jsonb_array_elements_text(${db.sql.json(subjects)}::jsonb) with ordinality as s(subject, position)
         order by position`;
      const expected = subjects.map((subject) => cohortOf("DLQ_ENABLED", subject, percentage));
      const mismatches = subjects.filter((_, i) => rows[i]!.cohort !== expected[i]);
      expect(mismatches.slice(0, 5), `at ${percentage} %`).toEqual([]);
      expect(rows).toHaveLength(subjects.length);
      if (percentage === 5) expect(expected.filter((c) => c === "canary").length).toBeGreaterThan(800);
    }
  });

  it("rollout_signal_counts counts the jobs cohortOf assigns, wherever they failed for good, with their rescues and duplicate executions", async () => {
    const tenants = generateSubjects(600, 99);
    // Per tenant: one job completed first time, and by turns one retried completion, one failed
    // row (DLQ_ENABLED off) and one dead-lettered entry (DLQ_ENABLED on).
    await db.sql`delete from public.qc_jobs`;
    await db.sql`delete from public.job_dlq`;
    await db.sql`delete from public.job_events`;
    await db.sql`
      insert into public.qc_jobs (job_type, status, tenant_id, attempts, finished_at)
      select 'sim', 'completed', t, 1, now() - interval '1 minute' from jsonb_array_elements_text(${db.sql.json(tenants)}::jsonb) as t`;
    const byTurn = (turn: number) => tenants.filter((_, i) => i % 3 === turn);
    await db.sql`
      insert into public.qc_jobs (job_type, status, tenant_id, attempts, finished_at)
      select 'sim', 'completed', t, 2, now() - interval '1 minute' from jsonb_array_elements_text(${db.sql.json(byTurn(0))}::jsonb) as t`;
    await db.sql`
      insert into public.qc_jobs (job_type, status, tenant_id, attempts, finished_at)
      select 'sim', 'failed', t, 3, now() - interval '1 minute' from jsonb_array_elements_text(${db.sql.json(byTurn(1))}::jsonb) as t`;
    await db.sql`
      insert into public.job_dlq (job_id, job_type, payload, attempts, job_snapshot)
      select id, 'sim', '{}', 3, jsonb_build_object('id', id, 'tenant_id', t)
        from (select gen_random_uuid() as id, t from jsonb_array_elements_text(${db.sql.json(byTurn(2))}::jsonb) as t) as j`;
    // Outside the window: not counted.
    await db.sql`insert into public.qc_jobs (job_type, status, tenant_id, attempts, finished_at) values ('sim', 'failed', 'late', 3, now() + interval '1 hour')`;

    // Events, as the RPCs record them, by the tenant's index: every 4th tenant's first job was
    // rescued by the watchdog twice (counted once); every 5th tenant's dead-lettered or failed job
    // had a zombie's completion refused; every 7th tenant's first job a retried completion of its
    // own attempt (no duplicate); every 6th an operator's requeue (no rescue); every 8th a rescue
    // before the window (not counted).
    const firstJobs = await db.sql`select tenant_id, id::text as id from public.qc_jobs where attempts = 1`;
    const lastJobs = await db.sql`
      select tenant_id, id::text as id from public.qc_jobs where status = 'failed'
      union all select job_snapshot ->> 'tenant_id', job_id::text from public.job_dlq`;
    const first = new Map(firstJobs.map((r) => [r.tenant_id as string, r.id as string]));
    const last = new Map(lastJobs.map((r) => [r.tenant_id as string, r.id as string]));
    type Event = { event: string; job_id: string; worker_id: string; attempt: number; reason: string; detail: Record<string, string | number | null>; ago: string };
    const events: Event[] = [];
    for (const [i, tenant] of tenants.entries()) {
      const job = first.get(tenant)!;
      if (i % 4 === 0) {
        for (const ago of ["50 minutes", "40 minutes"]) events.push({ event: "watchdog_requeued", job_id: job, worker_id: "w-dead", attempt: 1, reason: "lease_expired", detail: {}, ago });
      }
      if (i % 5 === 0 && last.has(tenant)) {
        events.push({ event: "completion_refused", job_id: last.get(tenant)!, worker_id: "w-zombie", attempt: 1, reason: "gone", detail: { held_by: null, current_attempt: null }, ago: "30 minutes" });
      }
      if (i % 7 === 0) events.push({ event: "completion_refused", job_id: job, worker_id: "w-1", attempt: 1, reason: "status completed", detail: { held_by: "w-1", current_attempt: 1 }, ago: "30 minutes" });
      if (i % 6 === 0) events.push({ event: "ops_requeued", job_id: job, worker_id: "w-stuck", attempt: 1, reason: "operator", detail: {}, ago: "30 minutes" });
      if (i % 8 === 1) events.push({ event: "watchdog_requeued", job_id: job, worker_id: "w-dead", attempt: 1, reason: "lease_expired", detail: {}, ago: "2 hours" });
    }
    await db.sql`
      insert into public.job_events (event, job_id, worker_id, attempt, reason, detail, at)
      select e ->> 'event', e ->> 'job_id', e ->> 'worker_id', (e ->> 'attempt')::int, e ->> 'reason', e -> 'detail', now() - (e ->> 'ago')::interval
        from jsonb_array_elements(${db.sql.json(events)}::jsonb) as e`;

    const percentage = 25;
    const counts = { canary: { jobs: 0, failed: 0, retried: 0, rescued: 0, duplicated: 0 }, control: { jobs: 0, failed: 0, retried: 0, rescued: 0, duplicated: 0 } };
    for (const [i, tenant] of tenants.entries()) {
      const side = counts[cohortOf("DLQ_ENABLED", tenant, percentage)];
      side.jobs += 2;
      side.retried += 1; // the turn's second job always took more than one attempt
      if (i % 3 !== 0) side.failed += 1;
      if (i % 4 === 0) side.rescued += 1;
      if (i % 5 === 0 && i % 3 !== 0) side.duplicated += 1;
    }
    const rows = await db.sql`
      select signal, canary_jobs::int, canary_events::int, control_jobs::int, control_events::int
        from public.rollout_signal_counts('DLQ_ENABLED', ${percentage}, now() - interval '1 hour', now())`;
    const row = (signal: string, event: "failed" | "retried" | "rescued" | "duplicated") => ({
      signal, canary_jobs: counts.canary.jobs, canary_events: counts.canary[event], control_jobs: counts.control.jobs, control_events: counts.control[event],
    });
    expect(rows).toEqual([
      row("duplicate_execution_rate", "duplicated"),
      row("permanent_failure_rate", "failed"),
      row("retry_rate", "retried"),
      row("watchdog_rescue_rate", "rescued"),
    ]);
    expect(rows.map((r) => r.signal)).toEqual(vectors.signals);
    expect(counts.canary.jobs).toBeGreaterThan(200);
    expect(counts.control.jobs).toBeGreaterThan(600);
    expect(counts.canary.rescued).toBeGreaterThan(20);
    expect(counts.canary.duplicated).toBeGreaterThan(10);
  });

  it("counts what the worker RPCs and the watchdog record: a rescue, then a zombie's refused completion; not a worker's own retried completion", async () => {
    await db.sql`delete from public.qc_jobs`;
    await db.sql`delete from public.job_dlq`;
    await db.sql`delete from public.job_events`;
    await db.sql`insert into public.job_type_settings (job_type, max_run_time) values ('sig', '1 second') on conflict (job_type) do update set max_run_time = excluded.max_run_time`;
    await db.sql`insert into public.qc_jobs (job_type, tenant_id, max_attempts) values ('sig', 'tenant-a', 3), ('sig', 'tenant-b', 3)`;
    const since = new Date(Date.now() - 60_000);
    // Job a: w-1 claims it and goes quiet past its lease; the watchdog requeues it; w-2 claims
    // and completes it; w-1 then completes its own, older attempt: refused, a second execution.
    const [a] = await db.sql`select id from public.qc_jobs where tenant_id = 'tenant-a'`;
    const [b] = await db.sql`select id from public.qc_jobs where tenant_id = 'tenant-b'`;
    await db.sql`update public.qc_jobs set status = 'running', locked_by = 'w-1', attempts = 1, started_at = now() - interval '1 minute' where id = ${a!.id}`;
    // Job b: w-3 runs it (within its lease), completes it, and its retried call (the first one's
    // answer lost) is refused.
    await db.sql`update public.qc_jobs set status = 'running', locked_by = 'w-3', attempts = 1, started_at = now() where id = ${b!.id}`;
    const rescued = await db.sql`select job_id, outcome from public.reclaim_stale_jobs()`;
    expect(rescued.map((r) => [r.job_id, r.outcome])).toEqual([[a!.id, "requeued"]]);
    const claimed = await db.sql`select id, attempts from public.claim_jobs('w-2', 1, array['sig'])`;
    expect(claimed).toHaveLength(1);
    const completions = [
      await db.sql`select public.complete_job(${claimed[0]!.id}, 'w-2', ${claimed[0]!.attempts}) as ok`,
      await db.sql`select public.complete_job(${a!.id}, 'w-1', 1) as ok`,
      await db.sql`select public.complete_job(${b!.id}, 'w-3', 1) as ok`,
      await db.sql`select public.complete_job(${b!.id}, 'w-3', 1) as ok`,
    ].map((rows) => rows[0]!.ok);
    expect(claimed[0]!.id).toBe(a!.id);
    expect(completions).toEqual([true, false, true, false]);
    expect((await db.sql`select event from public.job_events order by id`).map((e) => e.event))
      .toEqual(["watchdog_requeued", "completion_refused", "completion_refused"]);

    // At 100 % both jobs are canary: 2 finished, job a rescued and executed twice, job b neither.
    const rows = await db.sql`
      select signal, canary_jobs::int, canary_events::int, control_jobs::int
        from public.rollout_signal_counts('ANY_GROUP', 100, ${since}, now() + interval '1 second')
       where signal in ('watchdog_rescue_rate', 'duplicate_execution_rate')`;
    expect(rows).toEqual([
      { signal: "duplicate_execution_rate", canary_jobs: 2, canary_events: 1, control_jobs: 0 },
      { signal: "watchdog_rescue_rate", canary_jobs: 2, canary_events: 1, control_jobs: 0 },
    ]);
    await db.sql`delete from public.job_type_settings where job_type = 'sig'`;
  });

  it("the plans' check takes every signal, and refuses a flag a signal its own effect moves", async () => {
    await db.sql`delete from public.rollout_plans`;
    await db.sql`insert into public.feature_flags (key) values ('ANY_FLAG') on conflict do nothing`;
    await db.sql`insert into public.rollout_plans (flag_key, steps, step_min_durations, guard_signals) values ('ANY_FLAG', '{5,100}', '{1 day,0}', ${vectors.signals}::text[])`;
    for (const [flag, signals] of Object.entries(vectors.signals_a_flag_may_not_guard_on)) {
      for (const signal of signals) {
        await expect(db.sql`insert into public.rollout_plans (flag_key, steps, step_min_durations, guard_signals) values (${flag}, '{5,100}', '{1 day,0}', ${[signal]}::text[])`)
          .rejects.toThrow(/rollout_job_heartbeat_cannot_guard_on_watchdog_rescues/);
      }
      const allowed = vectors.signals.filter((s) => !signals.includes(s));
      await db.sql`insert into public.rollout_plans (flag_key, steps, step_min_durations, guard_signals) values (${flag}, '{5,100}', '{1 day,0}', ${allowed}::text[])`;
    }
    await expect(db.sql`update public.rollout_plans set guard_signals = '{latency_rate}' where flag_key = 'ANY_FLAG'`)
      .rejects.toThrow(/rollout_guard_signals_must_be_known/);

    // Rolling the signals back while a plan guards on one of them is refused, changing nothing.
    const rollback = readFileSync(new URL("../../../supabase/rollback/20261202120000_add_rollout_job_event_signals.sql", import.meta.url), "utf8");
    await expect(db.sql.begin((tx) => tx.unsafe(rollback)))
      .rejects.toThrow("rollback: the rollout plans of ANY_FLAG, JOB_HEARTBEAT guard on watchdog_rescue_rate or duplicate_execution_rate");
    const [still] = await db.sql`select count(*)::int as n from public.rollout_signal_counts('G', 5, now(), now())`;
    expect(still!.n).toBe(4);
    await db.sql`delete from public.rollout_plans`;
  });
});
