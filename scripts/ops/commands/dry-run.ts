// dry-run: the real `supabase db push --dry-run`, then every pending migration applied inside one
// transaction on the target and rolled back, with lock_timeout and statement_timeout set.
import { performance } from "node:perf_hooks";
import { formatDuration } from "../duration.ts";
import { findMigration, readSql } from "../../shared/migration-files.ts";
import { migrationHistory } from "../migration-history.ts";
import { cliOutputLines, dbPush, throwIfNotConnected } from "../../shared/supabase-cli.ts";
import { inRolledBackTransaction, takeOpsLock } from "../transaction.ts";
import { OpsRefusal, optionDuration, type OpsCommand } from "../command.ts";
import { planDryRun, renderDryRun } from "../plan/dry-run-sql.ts";

/** SQLSTATEs the dry run explains in words, named so that the code reads what it reacts to. */
const LOCK_NOT_AVAILABLE = "55P03";
const QUERY_CANCELED = "57014";

interface StepOutcome {
  fileName: string;
  outcome: "applied" | "failed" | "not run";
  ms?: number;
  error?: string;
}

export const dryRunCommand: OpsCommand = {
  name: "dry-run",
  summary: "rehearse the push: CLI dry run, then apply pending migrations in one transaction and roll back",
  description: `
  1. Runs the real \`supabase db push --dry-run\` (lists what a push would apply).
  2. Opens ONE transaction on the target, sets lock_timeout and statement_timeout, applies every
     pending migration in order, times each, and ROLLS BACK: SQL errors and lock waits show up
     here instead of in production, and the target is left unchanged.
A migration's own \`set lock_timeout\` takes over from --lock-timeout for its statements, as it
does in the live push.
CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction, so the dry run builds those indexes
with a plain CREATE/DROP INDEX (it says which); the live push still builds them concurrently.
Note that the rolled-back transaction takes the same locks the push takes, for as long as it runs,
and its plain CREATE INDEX blocks writes while it builds: with --env production and such indexes
pending it refuses without --yes. Prefer staging, or a production backup restored elsewhere.`,
  options: {
    "lock-timeout": { type: "string", value: "<duration>", description: "give up waiting for a lock after this (default 5s)" },
    "statement-timeout": { type: "string", value: "<duration>", description: "give up on any one statement after this (default 5m)" },
    "print-sql": { type: "boolean", description: "print the exact SQL the transaction runs" },
    yes: { type: "boolean", short: "y", description: "with --env production: accept that in-transaction index builds block writes meanwhile" },
  },
  examples: ["npm run ops:dry-run -- --env staging", "npm run ops -- dry-run --env production --lock-timeout 2s --print-sql"],
  async run(ctx, _positionals, options) {
    const { out } = ctx;
    const lockTimeoutMs = optionDuration(options, "lock-timeout", "5s");
    const statementTimeoutMs = optionDuration(options, "statement-timeout", "5m");

    // The CLI's verdict decides the step's: a failed push is never printed as a ✓.
    await out.step("supabase db push --dry-run", async () => {
      const cli = await dbPush(ctx.settings.databaseUrl, { dryRun: true, cwd: ctx.projectDir });
      for (const line of cliOutputLines(cli)) out.line(`  | ${line}`);
      throwIfNotConnected(cli);
      if (cli.exitCode !== 0) throw new Error(`supabase db push --dry-run exited ${cli.exitCode}`);
    });

    const history = await migrationHistory(ctx.settings.databaseUrl, ctx.projectDir);
    if (history.pending.length === 0) {
      out.line("Nothing pending: the target is up to date.");
      return;
    }
    const plan = planDryRun(
      history.pending.map((version) => {
        const migration = findMigration(version, ctx.migrationsDir);
        return { version, fileName: migration.fileName, sql: readSql(migration.migrationPath) };
      }),
      Math.round(lockTimeoutMs),
      Math.round(statementTimeoutMs),
    );
    for (const step of plan.steps) {
      for (const rewrite of step.rewrites) out.line(`  note  ${step.fileName}: concurrent index built in-transaction for the dry run: ${rewrite}`);
    }
    if (options["print-sql"]) out.line(renderDryRun(plan));
    const rewritten = plan.steps.filter((step) => step.rewrites.length > 0);
    if (rewritten.length > 0 && ctx.settings.envName === "production" && options.yes !== true) {
      throw new OpsRefusal(`${rewritten.map((s) => s.fileName).join(", ")} build(s) indexes CONCURRENTLY; inside the dry run's transaction they are plain CREATE INDEX, which blocks writes to the table for as long as the build takes. Rehearse on staging or on a restored copy of production, or pass --yes to accept that at a quiet moment.`);
    }

    const outcomes: StepOutcome[] = plan.steps.map((s) => ({ fileName: s.fileName, outcome: "not run" }));
    await out.step(`apply ${plan.steps.length} pending migration(s) in one transaction, then roll back`, async (progress) =>
      inRolledBackTransaction(ctx.sql(), async (tx) => {
        await takeOpsLock(tx, "dry-run");
        await tx.unsafe(plan.preamble).simple();
        for (const [i, step] of plan.steps.entries()) {
          progress(`${step.fileName}`);
          const started = performance.now();
          try {
            await tx.unsafe(step.sql).simple();
            outcomes[i] = { fileName: step.fileName, outcome: "applied", ms: performance.now() - started };
          } catch (error) {
            outcomes[i] = { fileName: step.fileName, outcome: "failed", ms: performance.now() - started, error: explain(error) };
            return; // The transaction is aborted; later migrations cannot run on top of a failed one.
          }
        }
      }),
    );

    out.line("Outcome per migration (all rolled back):");
    out.table(outcomes.map((o) => ({ migration: o.fileName, outcome: o.outcome, time: o.ms === undefined ? "" : formatDuration(o.ms), error: o.error ?? "" })));
    const failed = outcomes.find((o) => o.outcome === "failed");
    if (failed) throw new OpsRefusal(`${failed.fileName} failed in the dry run: ${failed.error}. Nothing was changed; fix it before pushing.`);
    out.line("Dry run passed: every pending migration applied cleanly and was rolled back; the target is unchanged.");
  },
};

function explain(error: unknown): string {
  const e = error as { code?: string; message?: string; hint?: string };
  const hint = e.hint ? ` (hint: ${e.hint})` : "";
  if (e.code === LOCK_NOT_AVAILABLE) return `waited longer than lock_timeout for a lock: another session holds a conflicting lock (${e.message})`;
  if (e.code === QUERY_CANCELED) return `ran longer than statement_timeout (${e.message})`;
  return `${e.code ? `[${e.code}] ` : ""}${e.message ?? String(error)}${hint}`;
}
