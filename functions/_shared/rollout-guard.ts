// The guarded rollout's decision rule: advance, wait, halt or complete a plan's step, from the
// jobs each cohort finished since the step began. Pure: no I/O, no clock, no randomness; imports
// unchanged in Deno, Node and a browser.
//
// The test is the one-sided two-proportion z-test with a pooled standard error:
//   rate_canary = canary_events / canary_jobs, rate_control = control_events / control_jobs
//   pooled      = (canary_events + control_events) / (canary_jobs + control_jobs)
//   se          = sqrt(pooled * (1 - pooled) * (1 / canary_jobs + 1 / control_jobs))
//   z           = (rate_canary - rate_control - tolerance) / se      (0 when se = 0: no variation, no evidence)
//   p_value     = P(Z >= z) for a standard normal Z
//   worse       = p_value <= 1 - confidence
// With tolerance 0 this is the textbook test of "the canary's rate is higher than control's";
// a tolerance (in rate units: 0.005 = half a percentage point) is an excess the operator accepts.
//
// The rule, in this order:
//   halt      some signal has both cohorts at min_sample or more and the canary is worse
//   wait      the step's minimum time has not passed (state active), or a cohort has fewer than
//             min_sample finished jobs (state waiting_for_data once the time has passed)
//   advance   otherwise; on the plan's last step, complete
// The SQL twin is public.rollout_decide(jsonb) (migration 20261201120000); both are pinned by
// rollout-guard-vectors.json. Cohorts come from the rollout rule itself (cohortOf; SQL:
// public.rollout_cohort).
import { bucketOf, thresholdOf } from "./rollout.ts";

/**
 * The signals a plan's guard may compare, each a share of the jobs finished since the step began
 * (SQL: public.rollout_signal_counts): failed for good, needed more than one attempt, rescued by
 * the watchdog at least once, executed twice (a completion refused as no longer the worker's).
 */
export const ROLLOUT_SIGNALS = ["duplicate_execution_rate", "permanent_failure_rate", "retry_rate", "watchdog_rescue_rate"] as const;
export type RolloutSignal = (typeof ROLLOUT_SIGNALS)[number];

/**
 * Signals a flag's own effect moves with nothing wrong, so that its plan may not guard on them.
 * JOB_HEARTBEAT changes the rescue rule itself (its canary is rescued after stale_after instead of
 * after the lease, and takes the last lease's dead jobs at once when the step starts). SQL: the
 * constraint rollout_job_heartbeat_cannot_guard_on_watchdog_rescues.
 */
export const SIGNALS_A_FLAG_MAY_NOT_GUARD_ON: Readonly<Record<string, readonly RolloutSignal[]>> = {
  JOB_HEARTBEAT: ["watchdog_rescue_rate"],
};

export type Decision = "advance" | "wait" | "halt" | "complete";
export type PlanState = "active" | "waiting_for_data" | "paused" | "halted" | "completed";
export type ReasonCode = "canary_worse" | "time_left" | "too_few_jobs" | "not_worse";

/** One signal's counts since the step began: jobs finished per cohort, and how many had the event. */
export interface SignalCounts {
  signal: string;
  canary_jobs: number;
  canary_events: number;
  control_jobs: number;
  control_events: number;
}

export interface SignalTest extends SignalCounts {
  canary_rate: number | null;
  control_rate: number | null;
  z: number | null;
  p_value: number | null;
  worse: boolean;
}

export interface GuardInput {
  /** The step's minimum time has passed. */
  time_passed: boolean;
  /** The plan has no step after this one: a healthy verdict completes it. */
  last_step: boolean;
  min_sample: number;
  tolerance: number;
  /** 0.5 to 0.9999: the one-sided confidence a halt needs. */
  confidence: number;
  signals: SignalCounts[];
}

export interface GuardDecision {
  decision: Decision;
  state: PlanState;
  reason: ReasonCode;
  tests: SignalTest[];
}

export type Cohort = "canary" | "control";

/** A finished job's cohort at a step: canary when the flag is on for its subject at the step's percentage. */
export function cohortOf(bucketGroup: string, subject: string, stepPercentage: number): Cohort {
  return bucketOf(bucketGroup, subject) < thresholdOf(stepPercentage) ? "canary" : "control";
}

/**
 * P(Z >= z) for a standard normal Z (Abramowitz and Stegun 26.2.17, absolute error < 7.5e-8).
 * Written with the same operations as the SQL twin so that both give the same digits. Beyond
 * |z| = 37 the tail is 0 (PostgreSQL's exp reports the underflow as an error).
 */
export function normalUpperTail(z: number): number {
  const x = Math.abs(z);
  if (x > 37) return z >= 0 ? 0 : 1;
  const t = 1 / (1 + 0.2316419 * x);
  const density = Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
  const poly = t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  const tail = density * poly;
  return z >= 0 ? tail : 1 - tail;
}

/** The one-sided pooled two-proportion z-test of "the canary's rate exceeds control's by more than tolerance". */
export function compareCohorts(counts: SignalCounts, tolerance: number, confidence: number): SignalTest {
  const { canary_jobs: nc, canary_events: xc, control_jobs: nk, control_events: xk } = counts;
  if (nc <= 0 || nk <= 0) {
    return { ...counts, canary_rate: nc > 0 ? xc / nc : null, control_rate: nk > 0 ? xk / nk : null, z: null, p_value: null, worse: false };
  }
  const canaryRate = xc / nc;
  const controlRate = xk / nk;
  const pooled = (xc + xk) / (nc + nk);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / nc + 1 / nk));
  const z = se > 0 ? (canaryRate - controlRate - tolerance) / se : 0;
  const pValue = normalUpperTail(z);
  return { ...counts, canary_rate: canaryRate, control_rate: controlRate, z, p_value: pValue, worse: pValue <= 1 - confidence };
}

export function decide(input: GuardInput): GuardDecision {
  const tests = input.signals.map((counts) => compareCohorts(counts, input.tolerance, input.confidence));
  const enough = (t: SignalCounts) => t.canary_jobs >= input.min_sample && t.control_jobs >= input.min_sample;
  if (tests.some((t) => enough(t) && t.worse)) return { decision: "halt", state: "halted", reason: "canary_worse", tests };
  if (!input.time_passed) return { decision: "wait", state: "active", reason: "time_left", tests };
  if (!tests.every(enough)) return { decision: "wait", state: "waiting_for_data", reason: "too_few_jobs", tests };
  return input.last_step
    ? { decision: "complete", state: "completed", reason: "not_worse", tests }
    : { decision: "advance", state: "active", reason: "not_worse", tests };
}

/** One line an operator reads: why the rule decided what it did. */
export function explainDecision(result: GuardDecision, input: Pick<GuardInput, "min_sample" | "confidence" | "tolerance">): string {
  const pct = (rate: number | null) => (rate === null ? "-" : `${(rate * 100).toFixed(2)} %`);
  const tests = result.tests.map((t) =>
    `${t.signal}: canary ${t.canary_events}/${t.canary_jobs} (${pct(t.canary_rate)}) vs control ${t.control_events}/${t.control_jobs} (${pct(t.control_rate)})` +
    (t.p_value === null ? "" : `, z ${t.z!.toFixed(2)}, p ${t.p_value.toPrecision(3)}`));
  const why: Record<ReasonCode, string> = {
    canary_worse: `canary worse than control at ${input.confidence * 100} % confidence (tolerance ${input.tolerance})`,
    time_left: "the step's minimum time has not passed",
    too_few_jobs: `a cohort has fewer than ${input.min_sample} finished jobs`,
    not_worse: "time passed, enough jobs, canary not worse than control",
  };
  return [why[result.reason], ...tests].join("; ");
}
