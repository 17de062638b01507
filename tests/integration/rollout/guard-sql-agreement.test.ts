// The guarded rollout's SQL twin (migration 20261201120100) agrees with functions/_shared/rollout-guard.ts:
// public.rollout_decide on every shared vector, public.rollout_cohort with cohortOf on generated
// subjects, and public.rollout_signal_counts with counts made here from the same jobs.
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

  it("rollout_signal_counts counts the jobs cohortOf assigns, wherever they failed for good", async () => {
    const tenants = generateSubjects(600, 99);
    // Per tenant: one job completed first time, and by turns one retried completion, one failed
    // row (DLQ_ENABLED off) and one dead-lettered entry (DLQ_ENABLED on).
    await db.sql`delete from public.qc_jobs`;
    await db.sql`delete from public.job_dlq`;
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

    const percentage = 25;
    const expected = { canary_jobs: 0, canary_failed: 0, canary_retried: 0, control_jobs: 0, control_failed: 0, control_retried: 0 };
    for (const [i, tenant] of tenants.entries()) {
      const side = cohortOf("DLQ_ENABLED", tenant, percentage);
      expected[`${side}_jobs`] += 2;
      expected[`${side}_retried`] += 1; // the turn's second job always took more than one attempt
      if (i % 3 !== 0) expected[`${side}_failed`] += 1;
    }
    const rows = await db.sql`
      select signal, canary_jobs::int, canary_events::int, control_jobs::int, control_events::int
        from public.rollout_signal_counts('DLQ_ENABLED', ${percentage}, now() - interval '1 hour', now())`;
    expect(rows).toEqual([
      { signal: "permanent_failure_rate", canary_jobs: expected.canary_jobs, canary_events: expected.canary_failed, control_jobs: expected.control_jobs, control_events: expected.control_failed },
      { signal: "retry_rate", canary_jobs: expected.canary_jobs, canary_events: expected.canary_retried, control_jobs: expected.control_jobs, control_events: expected.control_retried },
    ]);
    expect(expected.canary_jobs).toBeGreaterThan(200);
    expect(expected.control_jobs).toBeGreaterThan(600);
  });
});
