// The rollout tick (public.rollout_tick) drives plans through every state on simulated job
// outcomes, with its clock given by the test: a healthy canary advances exactly at its times; a
// canary failing 3x as often as control is halted with the flag at 0 % and an event whose numbers
// match a computation made here; thin data waits; a pause holds; two concurrent ticks advance once.
import { beforeEach, describe, expect, it } from "vitest";
import { connect } from "../../../scripts/shared/database.ts";
import { clearOutcomes, simulateOutcomes } from "../../support/rollout-simulation.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const db = usePushedDatabase();
const T0 = new Date("2026-11-02T00:00:00Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (ms: number) => new Date(T0.getTime() + ms);
beforeEach(async () => {
  await db.sql`delete from public.rollout_plans`;
  await db.sql`delete from public.rollout_events`;
  await db.sql`update public.feature_flags set enabled = false, rollout_percentage = 0`;
  await clearOutcomes(db.sql);
});

async function createPlan(flag: string, steps: number[], durations: string[], extra: { minSample?: number; startsAfter?: string; signals?: string[] } = {}) {
  await db.sql`
    insert into public.rollout_plans (flag_key, steps, step_min_durations, min_sample, starts_after, guard_signals)
    values (${flag}, ${steps}::numeric[], ${durations}::interval[], ${extra.minSample ?? 500}, ${extra.startsAfter ?? null},
            ${extra.signals ?? ["permanent_failure_rate"]}::text[])`;
}
async function tick(when: Date) {
  return db.sql`select flag_key, decision, state, step, percentage::float8 as percentage, reason from public.rollout_tick(${when})`;
}
async function flag(key: string) {
  const [row] = await db.sql`select enabled, rollout_percentage::float8 as pct from public.feature_flags where key = ${key}`;
  return row!;
}
async function plan(key: string) {
  const [row] = await db.sql`select state, current_step, step_started_at, last_decision, last_reason from public.rollout_plans where flag_key = ${key}`;
  return row!;
}
async function events(key: string) {
  return db.sql`select kind, step, percentage::float8 as percentage, state, reason, numbers, actor from public.rollout_events where flag_key = ${key} order by id`;
}
const healthy = { canary: 0.02, control: 0.02 };

describe("a healthy canary", () => {
  it("advances exactly when each step's minimum time has passed, then completes at 100 %", async () => {
    await createPlan("DLQ_ENABLED", [5, 25, 100], ["1 day", "2 days", "0"], { minSample: 100 });
    expect(await tick(T0)).toEqual([{ flag_key: "DLQ_ENABLED", decision: "start", state: "active", step: 0, percentage: 5, reason: "step_entered" }]);
    expect(await flag("DLQ_ENABLED")).toEqual({ enabled: true, pct: 5 });

    await simulateOutcomes(db.sql, { bucketGroup: "DLQ_ENABLED", stepPercentage: 5, jobs: 6000, from: T0, to: at(DAY - HOUR), failureRate: healthy });
    expect((await tick(at(DAY - 1000)))[0]).toMatchObject({ decision: "wait", state: "active", reason: "time_left", step: 0 });
    expect(await flag("DLQ_ENABLED")).toEqual({ enabled: true, pct: 5 });
    expect((await tick(at(DAY)))[0]).toMatchObject({ decision: "advance", state: "active", step: 1, percentage: 25 });
    expect(await flag("DLQ_ENABLED")).toEqual({ enabled: true, pct: 25 });
    expect((await plan("DLQ_ENABLED")).step_started_at).toEqual(at(DAY));

    await simulateOutcomes(db.sql, { bucketGroup: "DLQ_ENABLED", stepPercentage: 25, jobs: 3000, from: at(DAY), to: at(2 * DAY), failureRate: healthy, tenantPrefix: "second-" });
    expect((await tick(at(3 * DAY - 1000)))[0]).toMatchObject({ decision: "wait", reason: "time_left", step: 1 });
    expect((await tick(at(3 * DAY)))[0]).toMatchObject({ decision: "advance", state: "completed", step: 2, percentage: 100 });
    expect(await flag("DLQ_ENABLED")).toEqual({ enabled: true, pct: 100 });
    expect(await tick(at(4 * DAY))).toEqual([]);

    expect((await events("DLQ_ENABLED")).map((e) => [e.kind, e.percentage, e.state])).toEqual([
      ["operator", 5, "active"], ["start", 5, "active"], ["wait", 5, "active"], ["advance", 25, "active"], ["wait", 25, "active"], ["advance", 100, "completed"],
    ]);
    // Each flag change went through the audited path, named as the tick's.
    const audit = await db.sql`select actor, (new_row ->> 'rollout_percentage')::float8 as pct from public.feature_flag_audit where flag_key = 'DLQ_ENABLED' and operation = 'UPDATE' and changed_at >= now() - interval '1 minute' and actor = 'rollout-tick' order by id`;
    expect(audit.map((a) => a.pct)).toEqual([5, 25, 100]);
  });
});

describe("a canary failing 3x as often as control", () => {
  it("is halted before its time is up, the flag at 0 %, with an event whose numbers match the formula", async () => {
    await createPlan("DLQ_ENABLED", [5, 100], ["7 days", "0"]);
    await tick(T0);
    const outcomes = await simulateOutcomes(db.sql, {
      bucketGroup: "DLQ_ENABLED", stepPercentage: 5, jobs: 20_000, from: T0, to: at(DAY), failureRate: { canary: 0.06, control: 0.02 },
    });
    const [decision] = await tick(at(DAY + HOUR));
    expect(decision).toMatchObject({ decision: "halt", state: "halted", reason: "canary_worse", percentage: 5 });
    expect(await flag("DLQ_ENABLED")).toEqual({ enabled: true, pct: 0 });
    expect((await plan("DLQ_ENABLED")).state).toBe("halted");

    // The independent computation: the simulation's own counts and the pooled z written out.
    const { canary, control } = outcomes;
    const pooled = (canary.failed + control.failed) / (canary.jobs + control.jobs);
    const z = (canary.failed / canary.jobs - control.failed / control.jobs) / Math.sqrt(pooled * (1 - pooled) * (1 / canary.jobs + 1 / control.jobs));
    expect(canary.failed / canary.jobs).toBeCloseTo(3 * (control.failed / control.jobs), 2);
    const halt = (await events("DLQ_ENABLED")).find((e) => e.kind === "halt")!;
    const test = halt.numbers.tests[0];
    expect(test).toMatchObject({
      signal: "permanent_failure_rate",
      canary_jobs: canary.jobs, canary_events: canary.failed, control_jobs: control.jobs, control_events: control.failed,
      worse: true,
    });
    expect(test.canary_rate).toBeCloseTo(canary.failed / canary.jobs, 12);
    expect(test.control_rate).toBeCloseTo(control.failed / control.jobs, 12);
    expect(test.z).toBeCloseTo(z, 9);
    expect(test.p_value).toBeLessThan(0.001);
    expect(halt.numbers.guard).toMatchObject({ time_passed: false, min_sample: 500, confidence: 0.999 });
    expect(halt.percentage).toBe(5);

    // A halted plan stays halted: later ticks leave it and the flag alone.
    expect(await tick(at(8 * DAY))).toEqual([]);
    expect(await flag("DLQ_ENABLED")).toEqual({ enabled: true, pct: 0 });
    // Resumed by an operator, it re-enters its step.
    await db.sql`update public.rollout_plans set state = 'active' where flag_key = 'DLQ_ENABLED'`;
    expect((await tick(at(9 * DAY)))[0]).toMatchObject({ decision: "start", state: "active", percentage: 5 });
    expect(await flag("DLQ_ENABLED")).toEqual({ enabled: true, pct: 5 });
  });
});

/** The pooled one-sided z of "canary's rate above control's", written out from the formula. */
function pooledZ(canaryEvents: number, canaryJobs: number, controlEvents: number, controlJobs: number): number {
  const pooled = (canaryEvents + controlEvents) / (canaryJobs + controlJobs);
  return (canaryEvents / canaryJobs - controlEvents / controlJobs) / Math.sqrt(pooled * (1 - pooled) * (1 / canaryJobs + 1 / controlJobs));
}

describe("a canary worse on the job events' signals", () => {
  const ALL = ["duplicate_execution_rate", "permanent_failure_rate", "retry_rate", "watchdog_rescue_rate"];

  it.each([
    ["watchdog_rescue_rate", "DLQ_ENABLED", { rescueRate: { canary: 0.03, control: 0.01 } }, "rescued"],
    ["duplicate_execution_rate", "JOB_HEARTBEAT", { duplicateRate: { canary: 0.02, control: 0.005 } }, "duplicated"],
  ] as const)("%s clearly worse than control (%s): halted with the flag at 0 and the event's numbers matching the formula", async (signal, flagKey, rates, field) => {
    await createPlan(flagKey, [5, 100], ["7 days", "0"], { signals: ["permanent_failure_rate", signal] });
    await tick(T0);
    const outcomes = await simulateOutcomes(db.sql, {
      bucketGroup: flagKey, stepPercentage: 5, jobs: 20_000, from: T0, to: at(DAY), failureRate: healthy, ...rates,
    });
    const [decision] = await tick(at(DAY + HOUR));
    expect(decision).toMatchObject({ flag_key: flagKey, decision: "halt", state: "halted", reason: "canary_worse" });
    expect(await flag(flagKey)).toEqual({ enabled: true, pct: 0 });

    const { canary, control } = outcomes;
    const halt = (await events(flagKey)).find((e) => e.kind === "halt")!;
    expect(halt.numbers.tests.map((t: { signal: string }) => t.signal)).toEqual(["permanent_failure_rate", signal].sort());
    const judged = halt.numbers.tests.find((t: { signal: string }) => t.signal === signal);
    expect(judged).toMatchObject({
      canary_jobs: canary.jobs, canary_events: canary[field], control_jobs: control.jobs, control_events: control[field], worse: true,
    });
    expect(canary[field] / canary.jobs).toBeGreaterThan(2.5 * (control[field] / control.jobs));
    expect(judged.canary_rate).toBeCloseTo(canary[field] / canary.jobs, 12);
    expect(judged.control_rate).toBeCloseTo(control[field] / control.jobs, 12);
    expect(judged.z).toBeCloseTo(pooledZ(canary[field], canary.jobs, control[field], control.jobs), 9);
    expect(judged.p_value).toBeLessThan(0.001);
    // The permanent-failure rates were equal: that signal alone would not have halted.
    const failures = halt.numbers.tests.find((t: { signal: string }) => t.signal === "permanent_failure_rate");
    expect(failures).toMatchObject({ canary_events: canary.failed, control_events: control.failed, worse: false });
  });

  it("identical cohorts on all four signals advance at the step's time", async () => {
    await createPlan("DLQ_ENABLED", [5, 100], ["1 day", "0"], { signals: ALL });
    await tick(T0);
    const outcomes = await simulateOutcomes(db.sql, {
      bucketGroup: "DLQ_ENABLED", stepPercentage: 5, jobs: 20_000, from: T0, to: at(DAY - HOUR), failureRate: healthy,
      rescueRate: { canary: 0.02, control: 0.02 }, duplicateRate: { canary: 0.005, control: 0.005 },
    });
    expect((await tick(at(DAY - 1000)))[0]).toMatchObject({ decision: "wait", reason: "time_left" });
    expect((await tick(at(DAY)))[0]).toMatchObject({ decision: "advance", state: "completed", percentage: 100 });
    const advance = (await events("DLQ_ENABLED")).find((e) => e.kind === "advance")!;
    expect(advance.numbers.tests.map((t: { signal: string }) => t.signal)).toEqual(ALL);
    expect(advance.numbers.tests.every((t: { worse: boolean }) => !t.worse)).toBe(true);
    const rescues = advance.numbers.tests.find((t: { signal: string }) => t.signal === "watchdog_rescue_rate");
    expect(rescues).toMatchObject({ canary_events: outcomes.canary.rescued, control_events: outcomes.control.rescued });
    expect(outcomes.canary.rescued).toBeGreaterThan(15);
  });

  it("JOB_HEARTBEAT's plan cannot guard on watchdog rescues, which its own rule moves", async () => {
    await expect(createPlan("JOB_HEARTBEAT", [5, 100], ["1 day", "0"], { signals: ["watchdog_rescue_rate"] }))
      .rejects.toThrow(/rollout_job_heartbeat_cannot_guard_on_watchdog_rescues/);
  });
});

describe("thin data", () => {
  it("waits for data once the time has passed, writing the wait once, and advances when enough jobs finished", async () => {
    await createPlan("DLQ_ENABLED", [5, 100], ["1 day", "0"], { minSample: 200 });
    await tick(T0);
    await simulateOutcomes(db.sql, { bucketGroup: "DLQ_ENABLED", stepPercentage: 5, jobs: 1000, from: T0, to: at(HOUR), failureRate: healthy });
    expect((await tick(at(2 * DAY)))[0]).toMatchObject({ decision: "wait", state: "waiting_for_data", reason: "too_few_jobs" });
    expect((await tick(at(2 * DAY + 60_000)))[0]).toMatchObject({ state: "waiting_for_data" });
    expect(await flag("DLQ_ENABLED")).toEqual({ enabled: true, pct: 5 });
    expect((await events("DLQ_ENABLED")).filter((e) => e.kind === "wait")).toHaveLength(1);

    await simulateOutcomes(db.sql, { bucketGroup: "DLQ_ENABLED", stepPercentage: 5, jobs: 4000, from: at(HOUR), to: at(2 * DAY), failureRate: healthy, tenantPrefix: "more-" });
    expect((await tick(at(2 * DAY + 120_000)))[0]).toMatchObject({ decision: "advance", state: "completed", percentage: 100 });
  });
});

describe("pause", () => {
  it("holds a plan whose time has passed on healthy data, until it is resumed", async () => {
    await createPlan("DLQ_ENABLED", [5, 100], ["1 day", "0"], { minSample: 100 });
    await tick(T0);
    await simulateOutcomes(db.sql, { bucketGroup: "DLQ_ENABLED", stepPercentage: 5, jobs: 5000, from: T0, to: at(HOUR), failureRate: healthy });
    await db.sql`select set_config('audit.actor', 'alice', false)`;
    await db.sql`update public.rollout_plans set state = 'paused' where flag_key = 'DLQ_ENABLED'`;
    await db.sql`select set_config('audit.actor', '', false)`;
    expect(await tick(at(3 * DAY))).toEqual([]);
    expect(await flag("DLQ_ENABLED")).toEqual({ enabled: true, pct: 5 });
    expect((await events("DLQ_ENABLED")).at(-1)).toMatchObject({ kind: "operator", reason: "active -> paused", actor: "alice" });

    // A change after a tick in the same transaction is the operator's again.
    await db.sql.begin(async (tx) => {
      await tx`select set_config('audit.actor', 'alice', true)`;
      await tx`select count(*) from public.rollout_tick(${at(HOUR)})`;
      await tx`update public.rollout_plans set state = 'active' where flag_key = 'DLQ_ENABLED'`;
    });
    expect((await events("DLQ_ENABLED")).at(-1)).toMatchObject({ kind: "operator", reason: "paused -> active", actor: "alice" });
    expect((await tick(at(3 * DAY)))[0]).toMatchObject({ decision: "advance", percentage: 100 });
  });

  it("is what the tick does itself when the flag was changed outside the plan", async () => {
    await createPlan("DLQ_ENABLED", [5, 100], ["1 day", "0"]);
    await tick(T0);
    await db.sql`update public.feature_flags set rollout_percentage = 50 where key = 'DLQ_ENABLED'`;
    expect((await tick(at(HOUR)))[0]).toMatchObject({ decision: "pause", state: "paused", reason: "flag_changed" });
    expect(await flag("DLQ_ENABLED")).toEqual({ enabled: true, pct: 50 });
  });
});

describe("a plan whose flag is gone", () => {
  it("is paused by the tick, which changes nothing else", async () => {
    await db.sql`insert into public.feature_flags (key) values ('SHORT_LIVED')`;
    await createPlan("SHORT_LIVED", [5, 100], ["1 day", "0"]);
    await tick(T0);
    await db.sql`delete from public.feature_flags where key = 'SHORT_LIVED'`;
    expect((await tick(at(HOUR)))[0]).toMatchObject({ flag_key: "SHORT_LIVED", decision: "pause", state: "paused", reason: "flag_missing" });
    expect(await tick(at(2 * HOUR))).toEqual([]);
  });
});

describe("plans in sequence", () => {
  it("JOB_HEARTBEAT's plan starts only once DLQ_ENABLED's is completed", async () => {
    await createPlan("DLQ_ENABLED", [5, 100], ["1 day", "0"], { minSample: 100 });
    await createPlan("JOB_HEARTBEAT", [5, 100], ["1 day", "0"], { minSample: 100, startsAfter: "DLQ_ENABLED" });
    const first = await tick(T0);
    expect(first.map((r) => [r.flag_key, r.decision, r.reason])).toEqual([["DLQ_ENABLED", "start", "step_entered"], ["JOB_HEARTBEAT", "wait", "after_plan"]]);
    expect(await flag("JOB_HEARTBEAT")).toEqual({ enabled: false, pct: 0 });
    await simulateOutcomes(db.sql, { bucketGroup: "DLQ_ENABLED", stepPercentage: 5, jobs: 5000, from: T0, to: at(HOUR), failureRate: healthy });
    // The tick that completes DLQ_ENABLED's plan starts JOB_HEARTBEAT's (plans are taken in key order).
    const second = await tick(at(DAY));
    expect(second.map((r) => [r.flag_key, r.decision, r.state])).toEqual([["DLQ_ENABLED", "advance", "completed"], ["JOB_HEARTBEAT", "start", "active"]]);
    expect(await flag("DLQ_ENABLED")).toEqual({ enabled: true, pct: 100 });
    expect(await flag("JOB_HEARTBEAT")).toEqual({ enabled: true, pct: 5 });
  });
});

describe("the schedule", () => {
  it("without pg_cron in the database, nothing is scheduled and the function says why", async () => {
    const [row] = await db.sql`select public.schedule_rollout_tick() as outcome`;
    expect(row!.outcome).toBe("pg_cron not created");
  });
});

describe("concurrent ticks", () => {
  it("two ticks at once advance a plan once", async () => {
    await createPlan("DLQ_ENABLED", [5, 25, 100], ["1 day", "1 day", "0"], { minSample: 100 });
    await tick(T0);
    await simulateOutcomes(db.sql, { bucketGroup: "DLQ_ENABLED", stepPercentage: 5, jobs: 5000, from: T0, to: at(HOUR), failureRate: healthy });
    const a = connect(db.url);
    const b = connect(db.url);
    try {
      // Both inside a transaction at the same moment: on a server the first holds the plan's row
      // and the second skips it; the embedded database runs one transaction at a time, so there
      // the second sees the step just entered and waits.
      const results = await Promise.all([a, b].map((sql) => sql.begin(async (tx) => {
        const rows = await tx`select decision from public.rollout_tick(${at(DAY)})`;
        await tx`select pg_sleep(0.3)`;
        return rows.map((r) => r.decision as string);
      })));
      expect(results.flat().filter((d) => d === "advance")).toHaveLength(1);
      expect(results.flat().filter((d) => d !== "advance").every((d) => d === "wait")).toBe(true);
      if (db.kind === "server") expect(results.flat()).toEqual(["advance"]);
      // And one after the other at the same clock: the step just entered needs its full time again.
      expect((await tick(at(DAY)))[0]).toMatchObject({ decision: "wait", reason: "time_left", step: 1 });
    } finally {
      await a.end({ timeout: 5 });
      await b.end({ timeout: 5 });
    }
    expect(await flag("DLQ_ENABLED")).toEqual({ enabled: true, pct: 25 });
    expect((await events("DLQ_ENABLED")).filter((e) => e.kind === "advance")).toHaveLength(1);
  });
});
