// Rollout plans as SQL, built by pure functions: `rollout plan ... --dry-run` prints exactly the
// statements the live path runs. Input is checked here with plain-English errors before any SQL
// runs; the table's CHECK constraints say the same again for edits made in the dashboard.
import { ROLLOUT_SIGNALS, SIGNALS_A_FLAG_MAY_NOT_GUARD_ON } from "../../../functions/_shared/rollout-guard.ts";
import { validateFlagKey, validateRolloutPercentage } from "../../../functions/_shared/rollout.ts";
import type { Statement } from "./flag-sql.ts";

export interface PlanSpec {
  flagKey: string;
  /** Percentages, rising, the last at most 100. */
  steps: number[];
  /** The least time at each step, in milliseconds, one per step. */
  stepMinDurationsMs: number[];
  guardSignals: string[];
  tolerance: number;
  minSample: number;
  confidence: number;
  startsAfter: string | null;
}

export const PLAN_DEFAULTS = { guardSignals: ["permanent_failure_rate"], tolerance: 0, minSample: 500, confidence: 0.999 } as const;

const DAY_MS = 86_400_000;

/** The standard phases (rollout staging, canary, production) as plans: staging straight to 100 %; production DLQ_ENABLED 5 % for 7 days then 100 %, JOB_HEARTBEAT likewise after it. */
export const SEED_PLANS: Record<"staging" | "production", PlanSpec[]> = {
  staging: ["DLQ_ENABLED", "JOB_HEARTBEAT"].map((flagKey) => ({
    flagKey, steps: [100], stepMinDurationsMs: [0], ...PLAN_DEFAULTS, guardSignals: [...PLAN_DEFAULTS.guardSignals], startsAfter: null,
  })),
  production: [
    { flagKey: "DLQ_ENABLED", steps: [5, 100], stepMinDurationsMs: [7 * DAY_MS, 0], ...PLAN_DEFAULTS, guardSignals: [...PLAN_DEFAULTS.guardSignals], startsAfter: null },
    { flagKey: "JOB_HEARTBEAT", steps: [5, 100], stepMinDurationsMs: [7 * DAY_MS, 0], ...PLAN_DEFAULTS, guardSignals: [...PLAN_DEFAULTS.guardSignals], startsAfter: "DLQ_ENABLED" },
  ],
};

export class InvalidPlan extends Error {}

function check(condition: boolean, message: string): void {
  if (!condition) throw new InvalidPlan(message);
}

export function validatePlan(spec: PlanSpec): PlanSpec {
  const key = validateFlagKey(spec.flagKey);
  check(key.error === null, key.error ?? "");
  check(spec.steps.length >= 1 && spec.steps.length <= 20, `a plan has 1 to 20 steps, got ${spec.steps.length}`);
  for (const [i, step] of spec.steps.entries()) {
    const valid = validateRolloutPercentage(step);
    check(valid.error === null && step > 0, `step ${i + 1}: ${valid.error ?? `must be above 0, got ${step}`}`);
    check(i === 0 || step > spec.steps[i - 1]!, `steps must rise: step ${i + 1} (${step} %) is not above step ${i} (${spec.steps[i - 1]} %)`);
  }
  check(spec.stepMinDurationsMs.length === spec.steps.length,
    `--min-time gives ${spec.stepMinDurationsMs.length} durations for ${spec.steps.length} steps: give one, or one per step`);
  check(spec.stepMinDurationsMs.every((ms) => Number.isFinite(ms) && ms >= 0), "minimum times must not be negative");
  checkSignalsKnown(spec.guardSignals);
  checkSignalsFor(spec.flagKey, spec.guardSignals);
  check(spec.tolerance >= 0 && spec.tolerance < 1, `tolerance is a rate difference from 0 to below 1 (0.005 = half a percentage point), got ${spec.tolerance}`);
  check(Number.isInteger(spec.minSample) && spec.minSample >= 30, `the minimum sample is a whole number of jobs, at least 30, got ${spec.minSample}`);
  check(spec.confidence >= 0.5 && spec.confidence <= 0.9999, `confidence is from 0.5 to 0.9999, got ${spec.confidence}`);
  check(spec.startsAfter !== spec.flagKey, "a plan cannot start after itself");
  return spec;
}

export function checkSignalsKnown(signals: string[]): void {
  const unknown = signals.filter((s) => !(ROLLOUT_SIGNALS as readonly string[]).includes(s));
  check(unknown.length === 0, `unknown signal ${unknown.join(", ")}: the guard knows ${ROLLOUT_SIGNALS.join(", ")}`);
}

/** Refuses a signal the flag's own effect moves (SIGNALS_A_FLAG_MAY_NOT_GUARD_ON). */
export function checkSignalsFor(flagKey: string, signals: string[]): void {
  const biased = signals.filter((s) => (SIGNALS_A_FLAG_MAY_NOT_GUARD_ON[flagKey] as readonly string[] | undefined)?.includes(s));
  check(biased.length === 0,
    `${flagKey} cannot guard on ${biased.join(", ")}: the flag changes the watchdog's rescue rule itself, so its canary is rescued sooner with nothing wrong; ` +
    "a rescue of a live job shows as duplicate_execution_rate");
}

const intervals = (spec: PlanSpec) => spec.stepMinDurationsMs.map((ms) => `${ms / 1000} seconds`);

export interface PlanPosition {
  /** When the current step was entered (the flag is already at it); null: the tick enters it. */
  enteredAt: Date | null;
  state: "active" | "completed";
  step: number;
}

/** Where a new plan starts: its first step, entered by the next tick. */
export const PLAN_START: PlanPosition = { enteredAt: null, state: "active", step: 0 };

/** Creates the plan, or replaces the flag's plan, at the given position (its first step by default). */
export function planUpsertStatement(spec: PlanSpec, position: PlanPosition = PLAN_START): Statement {
  return {
    text:
      "insert into public.rollout_plans as p (flag_key, steps, step_min_durations, guard_signals, tolerance, min_sample, confidence, starts_after, state, current_step, step_started_at) " +
      "values ($1, $2::numeric[], $3::interval[], $4::text[], $5, $6, $7, $8, $9, $10, $11::timestamptz) " +
      "on conflict (flag_key) do update set steps = excluded.steps, step_min_durations = excluded.step_min_durations, " +
      "guard_signals = excluded.guard_signals, tolerance = excluded.tolerance, min_sample = excluded.min_sample, " +
      "confidence = excluded.confidence, starts_after = excluded.starts_after, state = excluded.state, " +
      "current_step = excluded.current_step, step_started_at = excluded.step_started_at, last_decision = null, last_reason = null " +
      "returning flag_key, state",
    params: [spec.flagKey, pgArray(spec.steps.map(String)), pgArray(intervals(spec)), pgArray(spec.guardSignals), spec.tolerance,
      spec.minSample, spec.confidence, spec.startsAfter, position.state, position.step, position.enteredAt ? position.enteredAt.toISOString() : null],
  };
}

export interface GuardChange {
  stepMinDurationsMs?: number[];
  guardSignals?: string[];
  tolerance?: number;
  minSample?: number;
  confidence?: number;
}

/** Changes a plan's guard or times, keeping where it stands. */
export function planChangeStatement(flagKey: string, change: GuardChange): Statement {
  return {
    text:
      "update public.rollout_plans set step_min_durations = coalesce($2::interval[], step_min_durations), " +
      "guard_signals = coalesce($3::text[], guard_signals), tolerance = coalesce($4::numeric, tolerance), " +
      "min_sample = coalesce($5::integer, min_sample), confidence = coalesce($6::numeric, confidence) " +
      "where flag_key = $1 returning flag_key, state",
    params: [flagKey,
      change.stepMinDurationsMs ? pgArray(change.stepMinDurationsMs.map((ms) => `${ms / 1000} seconds`)) : null,
      change.guardSignals ? pgArray(change.guardSignals) : null,
      change.tolerance ?? null, change.minSample ?? null, change.confidence ?? null],
  };
}

/** pause: active or waiting plans hold where they are. resume: paused plans go on; halted ones re-enter their step. */
export function planStateStatement(flagKey: string, action: "pause" | "resume"): Statement {
  const [to, from] = action === "pause" ? ["paused", ["active", "waiting_for_data"]] : ["active", ["paused", "halted"]];
  return {
    text: `update public.rollout_plans set state = '${to}' where flag_key = $1 and state in (${from.map((s) => `'${s}'`).join(", ")}) returning flag_key, state`,
    params: [flagKey],
  };
}

/** A PostgreSQL array literal of text elements, each quoted. */
function pgArray(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/(["\\])/g, "\\$1")}"`).join(",")}}`;
}
