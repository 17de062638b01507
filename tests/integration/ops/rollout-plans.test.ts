// rollout tick | plan | status, and the phase shortcuts recording their plans, against a real
// database with every migration pushed by the CLI.
import { beforeAll, describe, expect, it } from "vitest";
import { ops } from "../../support/ops-runner.ts";
import { simulateOutcomes } from "../../support/rollout-simulation.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const db = usePushedDatabase();
const T0 = new Date("2026-11-02T00:00:00Z");
const DAY = 86_400_000;
const at = (ms: number) => () => new Date(T0.getTime() + ms);

beforeAll(async () => {
  await db.sql`insert into public.feature_flags (key, description) values ('NEW_CHECKOUT', 'a third flag')`;
});

async function planRow(key: string) {
  const [row] = await db.sql`select state, current_step, steps::float8[] as steps, min_sample, confidence::float8 as confidence, updated_by from public.rollout_plans where flag_key = ${key}`;
  return row;
}
async function flagPct(key: string) {
  const [row] = await db.sql`select enabled, rollout_percentage::float8 as pct from public.feature_flags where key = ${key}`;
  return row!;
}

describe("rollout plan", () => {
  it("refuses bad plans with a clear message and writes nothing", async () => {
    const cases: Array<[string[], string]> = [
      [["--steps", "50,5"], "steps must rise: step 2 (5 %) is not above step 1 (50 %)"],
      [["--steps", "5,120"], "step 2: rollout percentage must be between 0 and 100, got 120"],
      [["--steps", "5,100", "--min-time", "1d,2d,3d"], "--min-time gives 3 durations for 2 steps"],
      [["--steps", "5,100", "--signals", "latency"], "unknown signal latency"],
      [["--steps", "5,100", "--confidence", "1"], "confidence is from 0.5 to 0.9999, got 1"],
      [["--steps", "5,100", "--min-time", "a week"], "--min-time: duration \"a week\" must be a number with a unit"],
    ];
    for (const [args, message] of cases) {
      const run = await ops(db.url, ["rollout", "plan", "create", "NEW_CHECKOUT", ...args]);
      expect(run.code, run.output).toBe(2);
      expect(run.output).toContain(message);
    }
    // A signal the flag's own effect moves: refused on create and change alike, before any lookup.
    for (const action of [["create", "--steps", "5,100"], ["change"]]) {
      const biased = await ops(db.url, ["rollout", "plan", action[0]!, "JOB_HEARTBEAT", ...action.slice(1), "--signals", "permanent_failure_rate,watchdog_rescue_rate"]);
      expect(biased.code, biased.output).toBe(2);
      expect(biased.output).toContain("JOB_HEARTBEAT cannot guard on watchdog_rescue_rate: the flag changes the watchdog's rescue rule itself");
    }
    expect(await planRow("JOB_HEARTBEAT")).toBeUndefined();
    const unknown = await ops(db.url, ["rollout", "plan", "create", "NO_SUCH_FLAG", "--steps", "5,100"]);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain("flag NO_SUCH_FLAG does not exist in public.feature_flags; nothing was changed");
    expect(await planRow("NEW_CHECKOUT")).toBeUndefined();
  });

  it("creates a plan for any flag, which the tick then enters; --dry-run changes nothing", async () => {
    const dry = await ops(db.url, ["rollout", "plan", "create", "NEW_CHECKOUT", "--steps", "1,10,100", "--min-time", "1d", "--dry-run"]);
    expect(dry.code, dry.output).toBe(0);
    expect(dry.output).toContain("insert into public.rollout_plans");
    expect(await planRow("NEW_CHECKOUT")).toBeUndefined();

    const run = await ops(db.url, ["rollout", "plan", "create", "NEW_CHECKOUT", "--steps", "1,10,100", "--min-time", "1d", "--min-sample", "100", "--actor", "alice"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("Plan NEW_CHECKOUT is now active; the next tick enters its first step (recorded as alice).");
    expect(await planRow("NEW_CHECKOUT")).toMatchObject({ state: "active", current_step: 0, steps: [1, 10, 100], min_sample: 100, confidence: 0.999, updated_by: "alice" });

    const tick = await ops(db.url, ["rollout", "tick", "--actor", "bob"], { now: at(0) });
    expect(tick.code, tick.output).toBe(0);
    expect(tick.output).toMatch(/NEW_CHECKOUT +start +active +1 +1 +step_entered/);
    expect(await flagPct("NEW_CHECKOUT")).toEqual({ enabled: true, pct: 1 });
    const [audit] = await db.sql`select actor from public.feature_flag_audit where flag_key = 'NEW_CHECKOUT' order by id desc limit 1`;
    expect(audit!.actor).toBe("bob (rollout tick)");
  });

  it("pauses and resumes, and changes the guard keeping where the plan stands", async () => {
    const pause = await ops(db.url, ["rollout", "plan", "pause", "NEW_CHECKOUT"]);
    expect(pause.code, pause.output).toBe(0);
    expect((await planRow("NEW_CHECKOUT"))!.state).toBe("paused");
    const again = await ops(db.url, ["rollout", "plan", "pause", "NEW_CHECKOUT"]);
    expect(again.code).toBe(1);
    expect(again.output).toContain("has no rollout plan in a state that can be paused");
    const tick = await ops(db.url, ["rollout", "tick"], { now: at(5 * DAY) });
    expect(tick.output).toContain("No active plan to evaluate");

    const change = await ops(db.url, ["rollout", "plan", "change", "NEW_CHECKOUT", "--confidence", "0.99", "--signals", "permanent_failure_rate,retry_rate"]);
    expect(change.code, change.output).toBe(0);
    expect(await planRow("NEW_CHECKOUT")).toMatchObject({ state: "paused", current_step: 0, confidence: 0.99 });
    expect((await ops(db.url, ["rollout", "plan", "resume", "NEW_CHECKOUT"])).code).toBe(0);
    expect((await planRow("NEW_CHECKOUT"))!.state).toBe("active");
  });

  it("status shows the steps, both cohorts, the last decision with its numbers, and a chart", async () => {
    const outcomes = await simulateOutcomes(db.sql, {
      bucketGroup: "NEW_CHECKOUT", stepPercentage: 1, jobs: 40_000, from: T0, to: new Date(T0.getTime() + DAY / 2), failureRate: { canary: 0.09, control: 0.03 },
    });
    const tick = await ops(db.url, ["rollout", "tick"], { now: at(DAY / 2) });
    expect(tick.output).toMatch(/NEW_CHECKOUT +halt +halted/);
    const status = await ops(db.url, ["rollout", "status", "NEW_CHECKOUT"], { now: at(DAY / 2) });
    expect(status.code, status.output).toBe(0);
    expect(status.output).toContain("NEW_CHECKOUT: halted, step 1 of 3; flag on for 0 %");
    expect(status.output).toContain("steps      [1 % halted] -> 10 % -> 100 %");
    expect(status.output).toMatch(/why {8}canary worse than control at 99 % confidence \(tolerance 0\); permanent_failure_rate: canary \d+\/\d+ \(\d\.\d\d %\) vs control \d+\/\d+ \(3\.\d\d %\), z \d+\.\d\d, p /);
    expect(status.output).toContain("next       none while halted: the flag is at 0 %");
    // The simulation's jobs ran 2 seconds each.
    expect(status.output).toContain("run time   completed jobs, p50 / p95: canary 2.0 s / 2.0 s, control 2.0 s / 2.0 s (shown, not judged)");
    // Every signal, the guarded ones starred, with the view's numbers: the simulation's counts.
    const shown = await db.sql`select signal, guarded, canary_jobs::int, canary_events::int, control_jobs::int, control_events::int from public.rollout_signals where flag_key = 'NEW_CHECKOUT'`;
    expect(shown.map((t) => [t.signal, t.guarded])).toEqual([
      ["duplicate_execution_rate", false], ["permanent_failure_rate", true], ["retry_rate", true], ["watchdog_rescue_rate", false],
    ]);
    const failures = shown.find((t) => t.signal === "permanent_failure_rate")!;
    expect(failures).toMatchObject({ canary_jobs: outcomes.canary.jobs, canary_events: outcomes.canary.failed, control_jobs: outcomes.control.jobs, control_events: outcomes.control.failed });
    expect(status.output).toMatch(new RegExp(
      `\\* permanent_failure_rate +canary ${outcomes.canary.failed}/${outcomes.canary.jobs} \\(\\d\\.\\d\\d %\\) +control ${outcomes.control.failed}/${outcomes.control.jobs} \\(3\\.00 %\\) +z \\d+\\.\\d\\d, p [\\d.e-]+, worse\n`));
    expect(status.output).toMatch(/ {3}watchdog_rescue_rate +canary 0\/\d+ \(0\.00 %\) +control 0\/\d+ \(0\.00 %\) +z 0\.00, p 0\.500\n/);
    // The chart: one row per decision; the flag back at 0, the canary's rate about 3x control's.
    expect(status.output).toMatch(/2026-11-02 00:00 start +\.{20} +1 +- +-\n/);
    expect(status.output).toMatch(/2026-11-02 12:00 halt +\.{20} +0 #{20} +\d\.\d\d % #{6,7}\.{13,14} +3\.\d\d %\n/);
    expect(status.output).not.toMatch(/ operator /);
    const all = await ops(db.url, ["rollout", "status"]);
    expect(all.output).toContain("NEW_CHECKOUT: halted");
  });
});

describe("the phase shortcuts record their plans", () => {
  it("canary starts the production plans: DLQ_ENABLED at its 5 % step, JOB_HEARTBEAT after it", async () => {
    const run = await ops(db.url, ["rollout", "canary"], { now: at(0) });
    expect(run.code, run.output).toBe(0);
    expect(await flagPct("DLQ_ENABLED")).toEqual({ enabled: true, pct: 5 });
    expect(await planRow("DLQ_ENABLED")).toMatchObject({ state: "active", current_step: 0, steps: [5, 100] });
    const [heartbeat] = await db.sql`select state, starts_after, step_started_at from public.rollout_plans where flag_key = 'JOB_HEARTBEAT'`;
    expect(heartbeat).toEqual({ state: "active", starts_after: "DLQ_ENABLED", step_started_at: null });
    const status = await ops(db.url, ["rollout", "status", "JOB_HEARTBEAT"], { now: at(0) });
    expect(status.output).toContain("next       after plan DLQ_ENABLED completes");
  });

  it("production completes both plans", async () => {
    const run = await ops(db.url, ["rollout", "production", "--force"], { now: at(DAY) });
    expect(run.code, run.output).toBe(0);
    expect(await planRow("DLQ_ENABLED")).toMatchObject({ state: "completed", current_step: 1 });
    expect(await planRow("JOB_HEARTBEAT")).toMatchObject({ state: "completed", current_step: 1 });
  });
});
