// rollout tick | plan ... | status [KEY]: guarded rollout plans (the tables and the tick are SQL,
// migrations 20261201120000..20261201120400; this is the operator's edge).
import { ROLLOUT_SIGNALS } from "../../../functions/_shared/rollout-guard.ts";
import type { Sql, TransactionSql } from "../../shared/database.ts";
import { parseDuration } from "../duration.ts";
import { takeOpsLock } from "../transaction.ts";
import { opsWrite } from "../write.ts";
import { OpsRefusal, optionString, UsageError, type OpsContext, type ParsedOptions } from "../command.ts";
import { actorStatement, renderStatement, type Statement } from "../plan/flag-sql.ts";
import {
  checkSignalsFor, checkSignalsKnown, InvalidPlan, PLAN_DEFAULTS, planChangeStatement, planStateStatement, planUpsertStatement, validatePlan,
  type GuardChange, type PlanPosition, type PlanSpec,
} from "../plan/rollout-plan-sql.ts";
import { renderPlanStatus, type PlanEvent, type PlanStatusRow } from "../plan/rollout-status-text.ts";

export const PLAN_OPTIONS = {
  steps: { type: "string", value: "<5,25,100>", description: "plan create: the percentages, rising" },
  "min-time": { type: "string", value: "<7d | 1d,2d,0s>", description: "plan create/change: least time at each step (one for all, or one per step)" },
  signals: { type: "string", value: "<names>", description: `plan create/change: guard signals (default ${PLAN_DEFAULTS.guardSignals.join(",")}; any of ${ROLLOUT_SIGNALS.join(",")})` },
  tolerance: { type: "string", value: "<rate>", description: `plan create/change: excess failure rate accepted (default ${PLAN_DEFAULTS.tolerance}; 0.005 = half a point)` },
  "min-sample": { type: "string", value: "<jobs>", description: `plan create/change: finished jobs each cohort needs (default ${PLAN_DEFAULTS.minSample})` },
  confidence: { type: "string", value: "<0.5-0.9999>", description: `plan create/change: confidence a halt needs (default ${PLAN_DEFAULTS.confidence})` },
  after: { type: "string", value: "<KEY>", description: "plan create: start only when KEY's plan is completed" },
} as const;

function requireTable(ok: boolean): void {
  if (!ok) throw new OpsRefusal("public.rollout_plans does not exist on the target: deploy the migrations first (npm run ops -- deploy)");
}

export async function rolloutPlansExist(sql: Sql | TransactionSql): Promise<boolean> {
  const [row] = await sql`select pg_catalog.to_regclass('public.rollout_plans') is not null as present`;
  return Boolean(row?.present);
}

/** Runs statements in tx (printing each), refusing when the last one touched no plan. */
async function runStatements(ctx: OpsContext, tx: TransactionSql, statements: Statement[], missing: string): Promise<Array<Record<string, unknown>>> {
  let rows: Array<Record<string, unknown>> = [];
  for (const statement of statements) {
    ctx.out.line(`  sql   ${renderStatement(statement)}`);
    rows = await tx.unsafe(statement.text, statement.params);
  }
  if (rows.length === 0) throw new OpsRefusal(missing);
  return rows;
}

/** Upserts plans at a position, under the ops lock in the caller's transaction (the shortcuts use it). */
export async function recordPlans(ctx: OpsContext, tx: TransactionSql, specs: PlanSpec[], position: (spec: PlanSpec) => PlanPosition): Promise<void> {
  if (!(await rolloutPlansExist(tx))) return;
  for (const spec of specs) await runStatements(ctx, tx, [planUpsertStatement(spec, position(spec))], `plan ${spec.flagKey} was not written`);
}

export async function runTick(ctx: OpsContext): Promise<void> {
  await opsWrite(ctx, { dryRun: false }, async (tx) => {
    requireTable(await rolloutPlansExist(tx));
    const actor = actorStatement(`${ctx.settings.actor} (rollout tick)`);
    await tx.unsafe(actor.text, actor.params);
    const rows = await tx`select flag_key, decision, state, step, percentage::float8 as percentage, reason from public.rollout_tick(${ctx.now()})`;
    if (rows.length === 0) ctx.out.line("No active plan to evaluate (paused, halted and completed plans are left alone).");
    else ctx.out.table(rows.map((r) => ({ flag: r.flag_key, decision: r.decision, state: r.state, step: r.step + 1, "step %": r.percentage, reason: r.reason })));
  });
}

function parseNumber(options: ParsedOptions, name: string): number | undefined {
  const text = optionString(options, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(text)}`);
  return value;
}

function parseDurations(options: ParsedOptions, steps: number): number[] | undefined {
  const text = optionString(options, "min-time");
  if (text === undefined) return undefined;
  try {
    const durations = text.split(",").map((part) => parseDuration(part));
    return durations.length === 1 ? Array.from({ length: steps }, () => durations[0]!) : durations;
  } catch (error) {
    throw new UsageError(`--min-time: ${(error as Error).message}`);
  }
}

function signalsOption(options: ParsedOptions): string[] | undefined {
  return optionString(options, "signals")?.split(",").map((s) => s.trim()).filter(Boolean);
}

function guardChange(options: ParsedOptions, steps: number): GuardChange {
  return {
    stepMinDurationsMs: parseDurations(options, steps),
    guardSignals: signalsOption(options),
    tolerance: parseNumber(options, "tolerance"),
    minSample: parseNumber(options, "min-sample"),
    confidence: parseNumber(options, "confidence"),
  };
}

export function parsePlanSpec(key: string, options: ParsedOptions): PlanSpec {
  const stepsText = optionString(options, "steps");
  if (!stepsText) throw new UsageError("rollout plan create needs --steps, e.g. --steps 5,25,100");
  const steps = stepsText.split(",").map((s) => Number(s.trim()));
  const change = guardChange(options, steps.length);
  try {
    return validatePlan({
      flagKey: key,
      steps,
      stepMinDurationsMs: change.stepMinDurationsMs ?? steps.map(() => 0),
      guardSignals: change.guardSignals ?? [...PLAN_DEFAULTS.guardSignals],
      tolerance: change.tolerance ?? PLAN_DEFAULTS.tolerance,
      minSample: change.minSample ?? PLAN_DEFAULTS.minSample,
      confidence: change.confidence ?? PLAN_DEFAULTS.confidence,
      startsAfter: optionString(options, "after") ?? null,
    });
  } catch (error) {
    if (error instanceof InvalidPlan) throw new UsageError(error.message);
    throw error;
  }
}

/** The statements of `plan <action> KEY`, before anything runs (so bad input changes nothing). */
async function planStatements(sql: Sql, action: string, key: string, options: ParsedOptions): Promise<Statement[]> {
  if (action === "create") {
    const spec = parsePlanSpec(key, options);
    const [flag] = await sql`select 1 from public.feature_flags where key = ${key}`;
    if (!flag) throw new OpsRefusal(`flag ${key} does not exist in public.feature_flags; nothing was changed`);
    return [planUpsertStatement(spec)];
  }
  if (action === "pause" || action === "resume") return [planStateStatement(key, action)];
  if (action === "change") {
    const signals = signalsOption(options);
    if (signals) {
      try {
        checkSignalsKnown(signals);
        checkSignalsFor(key, signals);
      } catch (error) {
        if (error instanceof InvalidPlan) throw new UsageError(error.message);
        throw error;
      }
    }
    const [plan] = await sql`select pg_catalog.cardinality(steps) as steps from public.rollout_plans where flag_key = ${key}`;
    if (!plan) throw new OpsRefusal(`flag ${key} has no rollout plan: create one with rollout plan create ${key} --steps ...`);
    const change = guardChange(options, plan.steps as number);
    if (Object.values(change).every((v) => v === undefined)) throw new UsageError("rollout plan change needs --min-time, --signals, --tolerance, --min-sample or --confidence");
    return [planChangeStatement(key, change)];
  }
  throw new UsageError("rollout plan takes create, change, pause or resume, then a flag key");
}

export async function runPlan(ctx: OpsContext, args: string[], options: ParsedOptions): Promise<void> {
  const [action, key, ...extra] = args;
  if (!action || !key || extra.length > 0) throw new UsageError("rollout plan takes create, change, pause or resume, then a flag key");
  const sql = ctx.sql();
  requireTable(await rolloutPlansExist(sql));
  const statements = [actorStatement(ctx.settings.actor), ...(await planStatements(sql, action, key, options))];
  const missing = action === "create"
    ? `plan ${key} was not written`
    : `flag ${key} has no rollout plan in a state that can be ${action === "pause" ? "paused (active or waiting for data)" : "resumed (paused or halted)"}; nothing was changed`;
  const run = async (tx: TransactionSql) => {
    await takeOpsLock(tx, `rollout plan ${action}`);
    try {
      return await runStatements(ctx, tx, statements, missing);
    } catch (error) {
      const message = (error as Error).message;
      if (/rollout_plans_starts_after_fkey/.test(message)) throw new OpsRefusal(`--after ${optionString(options, "after")}: that flag has no rollout plan; nothing was changed`);
      throw error;
    }
  };
  const dryRun = options["dry-run"] === true;
  const [row] = await opsWrite(ctx, { dryRun }, run);
  if (dryRun) return ctx.out.line(`Dry run: rollout plan ${action} ${key} as above. Nothing was changed.`);
  ctx.out.line(`Plan ${key} is now ${row!.state}${action === "create" ? "; the next tick enters its first step" : ""} (recorded as ${ctx.settings.actor}).`);
}

export async function runStatus(ctx: OpsContext, keys: string[]): Promise<void> {
  if (keys.length > 1) throw new UsageError("rollout status takes at most one flag key");
  const sql = ctx.sql();
  requireTable(await rolloutPlansExist(sql));
  const rows = await sql<PlanStatusRow[]>`
    select flag_key, state, current_step, steps::float8[] as steps, step_percentage::float8 as step_percentage, flag_enabled,
           flag_percentage::float8 as flag_percentage, step_started_at, step_time_passes_at, guard_signals, min_sample,
           confidence::float8 as confidence, tolerance::float8 as tolerance, starts_after,
           canary_jobs::int as canary_jobs, canary_failures::int as canary_failures, canary_failure_rate,
           control_jobs::int as control_jobs, control_failures::int as control_failures, control_failure_rate,
           canary_runtime_p50_seconds, canary_runtime_p95_seconds, control_runtime_p50_seconds, control_runtime_p95_seconds,
           last_decision, last_reason, last_evaluated_at
      from public.rollout_status
     where ${keys[0] ?? null}::text is null or flag_key = ${keys[0] ?? null}
     order by flag_key`;
  if (rows.length === 0) {
    if (keys[0]) throw new OpsRefusal(`flag ${keys[0]} has no rollout plan`);
    ctx.out.line("No rollout plans. Create one: npm run ops -- rollout plan create <KEY> --steps 5,100 --min-time 7d,0s");
    return;
  }
  for (const row of rows) {
    const signals = await sql<NonNullable<PlanStatusRow["signals"]>>`
      select signal, guarded, canary_jobs::int as canary_jobs, canary_events::int as canary_events, canary_rate,
             control_jobs::int as control_jobs, control_events::int as control_events, control_rate, z, p_value, worse
        from public.rollout_signals where flag_key = ${row.flag_key} order by signal`;
    row.signals = signals.length > 0 ? [...signals] : null;
    const events = await sql<PlanEvent[]>`
      select at, kind, actor, percentage::float8 as percentage, state, reason, numbers
        from (select * from public.rollout_events where flag_key = ${row.flag_key} order by at desc, id desc limit 24) as recent
       order by at, id`;
    for (const line of renderPlanStatus(row, events, ctx.now())) ctx.out.line(line);
    ctx.out.line();
  }
}
