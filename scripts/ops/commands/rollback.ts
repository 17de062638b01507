// rollback <version>: runs the migration's rollback script and marks it reverted in the CLI's
// history, refusing when a later applied migration depends on what it drops.
//
// How a dependency is found, inside the same transaction as the rollback itself:
//   1. Postgres refuses to drop an object another object depends on (pg_depend; the rollback
//      scripts never CASCADE), which surfaces as SQLSTATE 2BP01;
//   2. then every later applied migration's verification checks run; a check that now fails shows
//      a dependency pg_depend cannot see (SQL function bodies, code that reads a dropped column).
// A dependency rolls the transaction back and refuses, unless --force.
import { findMigration, listMigrations, readSql } from "../../shared/migration-files.ts";
import { migrationHistory } from "../migration-history.ts";
import { markReverted } from "../../shared/supabase-cli.ts";
import { takeOpsLock, withSessionOpsLock } from "../transaction.ts";
import { rewriteForTransaction } from "../plan/dry-run-sql.ts";
import { parseChecks, runChecks } from "../verification.ts";
import type { TransactionSql } from "../../shared/database.ts";
import { OpsRefusal, UsageError, type OpsCommand, type OpsContext } from "../command.ts";
import { opsWrite } from "../write.ts";

const DEPENDENT_OBJECTS_STILL_EXIST = "2BP01";
/** SQLSTATE of a plain `raise exception`: a guard written into the rollback script. */
const RAISED_BY_SCRIPT = "P0001";

interface RollbackTrial {
  /** Checks of later migrations that fail once the rollback has run. */
  broken: string[];
}

export const rollbackCommand: OpsCommand = {
  name: "rollback",
  args: "<version>",
  summary: "run a migration's rollback script and mark it reverted, so a later push applies it again",
  description: `
In ONE transaction, under the ops lock:
  1. runs supabase/rollback/<migration>.sql;
  2. runs the verification checks of every LATER applied migration: if one now fails (or Postgres
     refused a drop because another object depends on it), a later migration depends on this one,
     and the transaction is rolled back: nothing changes (--force commits anyway);
then marks the version reverted with the real \`supabase migration repair --status reverted\`,
so the next push applies the migration again.
Some rollbacks refuse to lose data (job_dlq with open entries): back up first, then
--allow-data-loss. --dry-run does all of the above and rolls back.`,
  options: {
    force: { type: "boolean", description: "go on although a later applied migration depends on this one" },
    "allow-data-loss": { type: "boolean", description: "let the rollback drop tables that still hold data (sets rollback.allow_data_loss)" },
    "dry-run": { type: "boolean", description: "run the rollback and the dependency checks, then roll back; change nothing" },
  },
  examples: [
    "npm run ops -- rollback 20261125100400 --env staging --dry-run",
    "npm run ops -- rollback 20261125100200 --env staging",
  ],
  async run(ctx, positionals, options) {
    const [version] = positionals;
    if (!version || positionals.length > 1) throw new UsageError("rollback takes exactly one migration version, e.g. 20261125100400");
    const migration = findMigration(version, ctx.migrationsDir);
    // The rollback runs in a transaction, where CONCURRENTLY index statements cannot run.
    const { sql: script, rewrites } = rewriteForTransaction(readSql(migration.rollbackPath));
    const history = await migrationHistory(ctx.settings.databaseUrl, ctx.projectDir);
    if (!history.applied.includes(migration.version)) {
      throw new OpsRefusal(`${migration.fileName} is not applied on the target; there is nothing to roll back`);
    }
    const later = listMigrations(ctx.migrationsDir).filter((m) => m.version > migration.version && history.applied.includes(m.version));
    const force = options.force === true;
    const dryRun = options["dry-run"] === true;
    ctx.out.line(`Rollback script: supabase/rollback/${migration.fileName}`);
    for (const rewrite of rewrites) ctx.out.line(`  note  run inside the rollback's transaction: ${rewrite}`);
    ctx.out.line(`Later applied migrations checked for dependencies: ${later.length ? later.map((m) => m.version).join(", ") : "none"}`);

    const trial = async (tx: TransactionSql): Promise<RollbackTrial> => {
      await takeOpsLock(tx, "rollback");
      if (options["allow-data-loss"]) await tx`select pg_catalog.set_config('rollback.allow_data_loss', 'on', true)`;
      try {
        await tx.unsafe(script).simple();
      } catch (error) {
        const e = error as { code?: string; message: string; detail?: string; hint?: string };
        if (e.code === DEPENDENT_OBJECTS_STILL_EXIST) {
          throw new OpsRefusal(`Postgres refused the rollback because other objects depend on what it drops: ${e.message}${e.detail ? `\n${e.detail}` : ""}. Roll back the dependent migration first.`);
        }
        const reason = `${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}. Nothing was changed.`;
        // The script's own guard (`raise exception`, e.g. refusing to lose data) is a refusal;
        // any other error is the script failing (a bug, a missing object): FAILED, not REFUSED.
        if (e.code === RAISED_BY_SCRIPT) throw new OpsRefusal(`the rollback script refused: ${reason}`);
        throw new Error(`the rollback script failed: ${reason}`, { cause: error });
      }
      const broken: string[] = [];
      for (const dependent of later) {
        const results = await runChecks(tx, parseChecks(readSql(dependent.verifyPath)));
        for (const r of results.filter((r) => !r.passed && !r.skipped)) broken.push(`${dependent.fileName}: ${r.name}: ${r.error}`);
      }
      for (const b of broken) ctx.out.fail(`after the rollback, ${b}`);
      if (broken.length > 0 && !force && !dryRun) {
        throw new OpsRefusal(`later applied migration(s) depend on ${migration.fileName} (their checks fail without it); nothing was changed. Roll those back first, or pass --force.`);
      }
      return { broken };
    };

    if (dryRun) {
      const { broken } = await ctx.out.step("rollback trial (rolled back)", () => opsWrite(ctx, { dryRun, deadline: false }, trial));
      ctx.out.line(broken.length ? `Dry run: the rollback would be REFUSED (${broken.length} dependent check(s) fail) unless --force.` : "Dry run: the rollback runs cleanly and no later migration depends on it. Nothing was changed.");
      return;
    }
    // Held across the commit and the CLI's history repair, so no other ops run sees one without the other.
    await withSessionOpsLock(ctx.sql(), "rollback", async () => {
      const { broken } = await ctx.out.step(`rollback ${migration.fileName}`, () => opsWrite(ctx, { dryRun, deadline: false }, trial));
      if (broken.length) ctx.out.warn(`--force: committed although ${broken.length} check(s) of later migrations now fail`);
      await markRevertedOrExplain(ctx, migration.version);
    });
    ctx.out.line(`Rolled back ${migration.fileName} and marked it reverted: the next push (\`npm run ops -- deploy\`) applies it again.`);
  },
};

async function markRevertedOrExplain(ctx: OpsContext, version: string): Promise<void> {
  try {
    await ctx.out.step(`supabase migration repair --status reverted ${version}`, () => markReverted(ctx.settings.databaseUrl, version));
  } catch (error) {
    throw new Error(`the rollback script was committed, but marking ${version} reverted failed: ${(error as Error).message}\nRun: npx supabase migration repair --status reverted ${version} --remote=<DATABASE_URL>`);
  }
}
