// rollout <phase>: the standard flag phases (staging, canary, production), with the guard on
// promotion to production; and the guarded rollout plans (rollout tick | plan ... | status, in rollout-plans.ts).
import type { TransactionSql } from "../../shared/database.ts";
import { takeOpsLock } from "../transaction.ts";
import { OpsRefusal, optionNumber, UsageError, type OpsCommand, type OpsContext } from "../command.ts";
import { applyFlagChanges, describeFlags, readAudit, readFlags, requireFlagsTable } from "../flags-table.ts";
import {
  canaryVerdict, describeState, dlqVerdict, isRolloutPhase, phaseChanges, ROLLOUT_PHASES, stateSince,
  type PromotionGuard, type RolloutPhase, type RolloutState,
} from "../plan/rollout-phases.ts";
import { SEED_PLANS, type PlanSpec } from "../plan/rollout-plan-sql.ts";
import { PLAN_OPTIONS, recordPlans, runPlan, runStatus, runTick } from "./rollout-plans.ts";
import { opsWrite } from "../write.ts";

export const DEFAULT_GUARD: PromotionGuard = { minCanaryDays: 7, maxDlqPerDay: 10 };

/** Next step to print after each phase (and after deploy). */
export const NEXT_STEP: Record<RolloutPhase | "deployed-staging" | "deployed-production", string> = {
  "deployed-staging": "npm run ops -- rollout staging --env staging",
  "deployed-production": "npm run ops -- rollout canary --env production",
  staging: "test on staging, then deploy production: npm run ops -- deploy --env production",
  canary: "watch job_dlq and `npm run ops -- rollout status --env production`: where the tick runs (pg_cron, or `rollout tick`) the plans advance by themselves after 7 healthy days; by hand: npm run ops -- rollout production --env production",
  production: "done: both flags are on for everyone. Rollback path: npm run ops -- flags set <KEY> --enabled false",
};

export const rolloutCommand: OpsCommand = {
  name: "rollout",
  args: "<staging|canary|production> | tick | plan <create|change|pause|resume> <KEY> | status [KEY]",
  summary: "guarded rollout plans (tick, plan, status), and the standard phases as shortcuts",
  description: `
Guarded rollout plans (docs/rollout-plans.md): a flag's percentage raised step by step, each step
held for its minimum time and judged by the jobs each cohort finished since it began; the canary
is halted (flag at 0 %) when it fails significantly more often than control.
  tick                   evaluate every active plan once (pg_cron does this every minute where it exists)
  plan create <KEY>      --steps 5,25,100 --min-time 7d [--signals --tolerance --min-sample --confidence --after]
  plan change <KEY>      change the guard or the minimum times, keeping where the plan stands
  plan pause|resume <KEY>  hold a plan where it is / go on (a halted plan re-enters its step)
  status [KEY]           where each plan stands, both cohorts' numbers, the last decision, a chart

The standard phases (shortcuts; they record their plans too):
  staging      DLQ_ENABLED and JOB_HEARTBEAT on for 100 % (refused with --env production); plans completed
  canary       DLQ_ENABLED on for 5 % of subjects, JOB_HEARTBEAT off; starts the production plans:
               DLQ_ENABLED 5 % for 7 days then 100 %, then JOB_HEARTBEAT likewise, each guarded
  production   DLQ_ENABLED and JOB_HEARTBEAT on for 100 %; plans completed
Promotion to production is refused unless, according to feature_flag_audit, every flag has served
its canary value for at least --min-canary-days (7), and job_dlq has gained no more than
--max-dlq-per-day entries a day (${DEFAULT_GUARD.maxDlqPerDay}) since the canary began. --force overrides the guard;
the audit log then records the actor as "<actor> (forced: <what was overridden>)".
Runs in one transaction under the ops lock: the guard and the change see the same rows.`,
  options: {
    force: { type: "boolean", description: "production: promote although the guard refuses (recorded in the audit log)" },
    "min-canary-days": { type: "string", value: "<days>", description: `production: days each flag must have served its canary value (default ${DEFAULT_GUARD.minCanaryDays})` },
    "max-dlq-per-day": { type: "string", value: "<n>", description: `production: most job_dlq entries a day since the canary began (default ${DEFAULT_GUARD.maxDlqPerDay})` },
    "dry-run": { type: "boolean", description: "print the guard's verdict (phases) and the SQL, run it in a rolled-back transaction" },
    ...PLAN_OPTIONS,
  },
  examples: [
    "npm run ops:rollout -- staging --env staging",
    "npm run ops:rollout -- canary --env production --actor alice",
    "npm run ops:rollout -- production --env production --actor alice",
    "npm run ops:rollout -- plan create MY_FLAG --steps 1,10,50,100 --min-time 1d --env production",
    "npm run ops:rollout -- status DLQ_ENABLED --env production",
    "npm run ops:rollout -- tick --env production",
  ],
  async run(ctx, positionals, options) {
    const [phase, ...rest] = positionals;
    if (phase === "tick" && rest.length === 0) return runTick(ctx);
    if (phase === "plan") return runPlan(ctx, rest, options);
    if (phase === "status") return runStatus(ctx, rest);
    if (!phase || positionals.length > 1 || !isRolloutPhase(phase)) {
      throw new UsageError("rollout takes one phase: staging, canary or production; or tick, plan or status");
    }
    const guard: PromotionGuard = {
      minCanaryDays: optionNumber(options, "min-canary-days", DEFAULT_GUARD.minCanaryDays),
      maxDlqPerDay: optionNumber(options, "max-dlq-per-day", DEFAULT_GUARD.maxDlqPerDay),
    };
    const force = options.force === true;
    if (phase === "staging" && ctx.settings.envName === "production" && !force) {
      // The staging phase is production's 100 % without the canary guard.
      throw new OpsRefusal("the staging phase turns both flags on for everyone; on --env production use `rollout canary`, then `rollout production` after the canary (or --force)");
    }
    const dryRun = options["dry-run"] === true;
    const run = (tx: TransactionSql) => rolloutInTransaction(ctx, tx, phase, guard, force);
    await ctx.out.step(`rollout ${phase}${dryRun ? " (dry run, rolled back)" : ""}`, () => opsWrite(ctx, { dryRun, readBack: describeFlags }, run));
    ctx.out.line(dryRun ? `Dry run: the ${phase} phase would be applied as above. Nothing was changed.` : `Next: ${NEXT_STEP[phase]}`);
  },
};

async function rolloutInTransaction(ctx: OpsContext, tx: TransactionSql, phase: RolloutPhase, guard: PromotionGuard, force: boolean): Promise<void> {
  const { out } = ctx;
  await takeOpsLock(tx, `rollout ${phase}`);
  await requireFlagsTable(tx);
  const targets = ROLLOUT_PHASES[phase];
  const before = new Map((await readFlags(tx)).map((f) => [f.key, { enabled: f.enabled, rolloutPercentage: f.rollout_percentage } as RolloutState]));
  let actor = ctx.settings.actor;
  if (phase === "production") {
    const blockers = await promotionBlockers(ctx, tx, before, guard);
    if (blockers.length > 0 && !force) {
      throw new OpsRefusal(`promotion to production refused:\n  - ${blockers.join("\n  - ")}\nKeep the canary running, or pass --force to override (recorded in the audit log).`);
    }
    if (blockers.length > 0) {
      actor = `${actor} (forced: ${blockers.join("; ")})`;
      out.warn(`--force: promoting despite ${blockers.length} guard finding(s); recorded in the audit log`);
    }
  }
  await applyFlagChanges(tx, out, phaseChanges(targets), actor);
  await recordPlans(ctx, tx, phasePlans(phase), (spec) => phasePosition(phase, spec, ctx.now()));
  out.table(Object.entries(targets).map(([key, target]) => ({
    flag: key,
    before: before.has(key) ? describeState(before.get(key)!) : "(missing)",
    after: describeState(target),
  })));
}

async function promotionBlockers(ctx: OpsContext, tx: TransactionSql, current: Map<string, RolloutState>, guard: PromotionGuard): Promise<string[]> {
  const { out } = ctx;
  const now = ctx.now();
  const facts = [];
  for (const key of Object.keys(ROLLOUT_PHASES.production)) {
    const state = current.get(key);
    if (!state) return [`flag ${key} does not exist`];
    facts.push({ key, current: state, since: stateSince(await readAudit(tx, key)) });
  }
  const verdict = canaryVerdict(facts, guard, now);
  for (const note of verdict.notes) out.ok(note);
  for (const blocker of verdict.blockers) out.fail(blocker);
  const blockers = [...verdict.blockers];
  if (verdict.canarySince) {
    const [dlq] = await tx`select pg_catalog.to_regclass('public.job_dlq') is not null as present`;
    if (!dlq?.present) {
      blockers.push("public.job_dlq does not exist, so the dead-letter queue's growth cannot be checked");
    } else {
      const [row] = await tx`select count(*)::int as entries from public.job_dlq where created_at >= ${verdict.canarySince}`;
      const growth = dlqVerdict(row!.entries as number, verdict.canarySince, guard, now);
      if (growth.ok) out.ok(growth.message);
      else {
        out.fail(growth.message);
        blockers.push(growth.message);
      }
    }
  }
  return blockers;
}

/** The plans a phase records: canary starts the production plans, staging and production complete theirs. */
function phasePlans(phase: RolloutPhase): PlanSpec[] {
  return phase === "staging" ? SEED_PLANS.staging : SEED_PLANS.production;
}

function phasePosition(phase: RolloutPhase, spec: PlanSpec, now: Date) {
  if (phase !== "canary") return { enteredAt: now, state: "completed" as const, step: spec.steps.length - 1 };
  // DLQ_ENABLED is at its first step from now; JOB_HEARTBEAT's plan waits for it (entered by the tick).
  return { enteredAt: spec.startsAfter ? null : now, state: "active" as const, step: 0 };
}
