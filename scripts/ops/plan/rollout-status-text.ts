// `rollout status` as text, from the rollout_status view's row and the plan's events. Pure: the
// caller reads, this renders (so the chart is testable without a database).
import { explainDecision, type GuardDecision, type SignalTest } from "../../../functions/_shared/rollout-guard.ts";

export interface PlanStatusRow {
  flag_key: string;
  state: string;
  current_step: number;
  steps: number[];
  step_percentage: number;
  flag_enabled: boolean;
  flag_percentage: number;
  step_started_at: Date | null;
  step_time_passes_at: Date | null;
  guard_signals: string[];
  min_sample: number;
  confidence: number;
  tolerance: number;
  starts_after: string | null;
  canary_jobs: number | null;
  canary_failures: number | null;
  canary_failure_rate: number | null;
  control_jobs: number | null;
  control_failures: number | null;
  control_failure_rate: number | null;
  canary_runtime_p50_seconds: number | null;
  canary_runtime_p95_seconds: number | null;
  control_runtime_p50_seconds: number | null;
  control_runtime_p95_seconds: number | null;
  last_decision: string | null;
  last_reason: string | null;
  last_evaluated_at: Date | null;
  /** From the rollout_signals view: every signal since the step began, with the guard's test at the plan's tolerance and confidence; null: no step under way. */
  signals: Array<SignalTest & { guarded: boolean }> | null;
}

export interface PlanEvent {
  at: Date;
  kind: string;
  actor: string;
  percentage: number | null;
  state: string | null;
  reason: string | null;
  numbers: Partial<GuardDecision> & { guard?: { min_sample: number; confidence: number; tolerance: number } };
}

const pct = (rate: number | null | undefined) => (rate === null || rate === undefined ? "-" : `${(rate * 100).toFixed(2)} %`);
const iso = (date: Date | null) => (date ? date.toISOString().replace(/\.\d{3}Z$/, "Z") : "-");
const seconds = (value: number | null) => (value === null ? "-" : `${value.toFixed(1)} s`);
const minute = (date: Date) => date.toISOString().slice(0, 16).replace("T", " ");

export function stepsLine(row: Pick<PlanStatusRow, "steps" | "current_step" | "state">): string {
  return row.steps.map((step, i) => {
    const label = `${step} %`;
    if (i < row.current_step || (i === row.current_step && row.state === "completed")) return `${label} done`;
    return i === row.current_step ? `[${label} ${row.state}]` : label;
  }).join(" -> ");
}

/** When the next decision can come, in words. */
export function nextDecision(row: PlanStatusRow, now: Date): string {
  switch (row.state) {
    case "completed": return "none: the plan is completed";
    case "paused": return "none while paused (resume: rollout plan resume " + row.flag_key + ")";
    case "halted": return "none while halted: the flag is at 0 %; fix the cause, then rollout plan resume " + row.flag_key;
  }
  if (!row.step_started_at) return row.starts_after ? `after plan ${row.starts_after} completes` : "the next tick enters the step";
  const halt = "a halt at any tick once both cohorts have " + row.min_sample + " jobs";
  if (row.step_time_passes_at && row.step_time_passes_at > now) return `advance not before ${iso(row.step_time_passes_at)}; ${halt}`;
  return `advance at the next tick with ${row.min_sample} finished jobs in each cohort; ${halt}`;
}

/** One line per signal: both cohorts' counts and rates, the test, and whether the plan guards on it. */
export function signalLines(row: Pick<PlanStatusRow, "signals">): string[] {
  if (!row.signals) return [];
  const width = Math.max(...row.signals.map((t) => t.signal.length));
  const counts = (events: number, jobs: number, rate: number | null) => `${events}/${jobs} (${pct(rate)})`;
  return [
    "  signals    since the step began, canary vs control (* guarded: judged by the tick)",
    ...row.signals.map((t) =>
      `  ${t.guarded ? "*" : " "} ${t.signal.padEnd(width)}  canary ${counts(t.canary_events, t.canary_jobs, t.canary_rate).padEnd(20)} ` +
      `control ${counts(t.control_events, t.control_jobs, t.control_rate).padEnd(22)}` +
      (t.p_value === null ? "no test (a cohort is empty)" : `z ${t.z!.toFixed(2)}, p ${t.p_value.toPrecision(3)}${t.worse ? ", worse" : ""}`)),
  ];
}

/** A bar of `width` cells for a value between 0 and `max`. */
function bar(value: number | null | undefined, max: number, width: number): string {
  if (value === null || value === undefined || max <= 0) return " ".repeat(width);
  const cells = Math.min(width, Math.round((value / max) * width));
  return "#".repeat(cells) + ".".repeat(width - cells);
}

/**
 * The flag's percentage and both cohorts' permanent-failure rates at each of the tick's decisions,
 * oldest first (operators' edits are in rollout_events too, but move no number).
 */
export function historyChart(events: PlanEvent[], width = 20): string[] {
  const points = events
    .filter((e) => e.kind !== "operator" && e.percentage !== null)
    .map((e) => ({ e, test: e.numbers.tests?.find((t: SignalTest) => t.signal === "permanent_failure_rate") }));
  if (points.length === 0) return ["  (no decisions yet)"];
  const maxRate = Math.max(0, ...points.flatMap(({ test }) => [test?.canary_rate ?? 0, test?.control_rate ?? 0]));
  const header = `  ${"when (UTC)".padEnd(16)} ${"decision".padEnd(9)} ${"flag %".padEnd(width + 8)} ${"canary failures".padEnd(width + 10)} control failures`;
  return [header, ...points.map(({ e, test }) => {
    const flagPct = e.kind === "halt" ? 0 : e.percentage!;
    return `  ${minute(e.at)} ${e.kind.padEnd(9)} ${bar(flagPct, 100, width)} ${`${flagPct}`.padStart(6)} ` +
      `${bar(test?.canary_rate, maxRate, width)} ${pct(test?.canary_rate).padStart(8)} ${bar(test?.control_rate, maxRate, width)} ${pct(test?.control_rate).padStart(8)}`;
  })];
}

export function renderPlanStatus(row: PlanStatusRow, events: PlanEvent[], now: Date): string[] {
  const lastDecided = [...events].reverse().find((e) => e.numbers.tests);
  const why = lastDecided && lastDecided.numbers.guard
    ? explainDecision(lastDecided.numbers as GuardDecision, lastDecided.numbers.guard)
    : null;
  return [
    `${row.flag_key}: ${row.state}, step ${row.current_step + 1} of ${row.steps.length}; flag ${row.flag_enabled ? `on for ${row.flag_percentage} %` : "off"}`,
    `  steps      ${stepsLine(row)}`,
    `  step began ${iso(row.step_started_at)}; minimum time passes ${iso(row.step_time_passes_at)}`,
    `  guard      ${row.guard_signals.join(", ") || "(time only)"}; canary not worse at ${row.confidence * 100} % confidence, tolerance ${row.tolerance}, at least ${row.min_sample} jobs per cohort`,
    ...(row.canary_jobs === null || row.control_jobs === null
      ? ["  cohorts    - (no step under way)"]
      : [`  canary     ${row.canary_jobs} jobs finished this step, ${row.canary_failures} failed for good (${pct(row.canary_failure_rate)})`,
         `  control    ${row.control_jobs} jobs finished this step, ${row.control_failures} failed for good (${pct(row.control_failure_rate)})`,
         `  run time   completed jobs, p50 / p95: canary ${seconds(row.canary_runtime_p50_seconds)} / ${seconds(row.canary_runtime_p95_seconds)}, ` +
           `control ${seconds(row.control_runtime_p50_seconds)} / ${seconds(row.control_runtime_p95_seconds)} (shown, not judged)`,
         ...signalLines(row)]),
    `  last       ${row.last_decision ?? "-"} (${row.last_reason ?? "-"}) at ${iso(row.last_evaluated_at)}`,
    ...(why ? [`  why        ${why}`] : []),
    `  next       ${nextDecision(row, now)}`,
    "  history",
    ...historyChart(events),
  ];
}
