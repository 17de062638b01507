// verify: every applied migration's verification script, pass or fail per check.
import { existsSync } from "node:fs";
import { listMigrations } from "../../shared/migration-files.ts";
import { migrationHistory } from "../migration-history.ts";
import { verifyMigration } from "../verification.ts";
import { WORKER_GRANT, workerPrivilegesMissing } from "../../shared/worker-privileges.ts";
import { OpsRefusal, type OpsCommand, type OpsContext } from "../command.ts";

const NO_CHECK_RAN = "no check ran";

/** Runs the checks of every applied migration; returns the failed checks' descriptions. */
export async function runVerification(ctx: OpsContext): Promise<string[]> {
  const { out } = ctx;
  const history = await migrationHistory(ctx.settings.databaseUrl, ctx.projectDir);
  const failures: string[] = [];
  let passed = 0;
  let skipped = 0;
  let withScript = 0;
  const migrations = listMigrations(ctx.migrationsDir);
  for (const migration of migrations) {
    if (!history.applied.includes(migration.version)) {
      out.line(`${migration.fileName}: not applied, skipped`);
      continue;
    }
    // A project's own migrations have no verification script; the kit's all have one.
    if (!existsSync(migration.verifyPath)) {
      out.line(`${migration.fileName}: no verification script (supabase/verify/${migration.fileName}), skipped`);
      continue;
    }
    withScript++;
    out.line(`${migration.fileName}:`);
    let results;
    try {
      results = await verifyMigration(ctx.sql(), migration);
    } catch (error) {
      const message = `${migration.fileName}: verification could not run: ${(error as Error).message}`;
      out.fail(message);
      failures.push(message);
      continue;
    }
    for (const result of results) {
      if (result.passed) {
        passed++;
        out.ok(result.name);
      } else if (result.skipped) {
        skipped++;
        out.line(`  skip  ${result.name}: ${result.skipped}`);
      } else {
        out.fail(`${result.name}: ${result.error}`);
        failures.push(`${migration.fileName}: ${result.name}: ${result.error}`);
      }
    }
  }
  // Not a migration's check: the grants of a qc_jobs the kit did not create are the project's own,
  // and the kit's RPCs (run with their caller's privileges) fail without them.
  const privileges = withScript > 0 ? await workerPrivilegesProblem(ctx) : undefined;
  if (privileges !== undefined) {
    out.line("qc_jobs privileges (the kit's RPCs run with their caller's):");
    if (privileges === null) {
      passed++;
      out.ok("service_role may select, insert, update and delete public.qc_jobs");
    } else {
      out.fail(privileges);
      failures.push(`qc_jobs privileges: ${privileges}`);
    }
  }
  out.line(`${passed} check(s) passed, ${failures.length} failed${skipped ? `, ${skipped} skipped (they could not run on this qc_jobs; see above)` : ""}.`);
  if (passed + failures.length === 0) {
    // Zero checks is no evidence of anything: say why nothing ran, and fail.
    const applied = migrations.filter((m) => history.applied.includes(m.version)).length;
    const why = migrations.length === 0
      ? `${ctx.migrationsDir} holds no migration`
      : applied === 0
        ? `the target has applied none of the ${migrations.length} migration(s) in ${ctx.migrationsDir} (push them first, or wrong --project?)`
        : withScript === 0
          ? `none of the ${applied} applied migration(s) in ${ctx.migrationsDir} has a verification script in ../verify (wrong --project?)`
          : "the verification scripts ran no check";
    failures.push(`${NO_CHECK_RAN}: ${why}`);
  }
  return failures;
}

/** undefined: there is no public.qc_jobs; null: service_role may do all the kit's RPCs do; else what is wrong. */
async function workerPrivilegesProblem(ctx: OpsContext): Promise<string | null | undefined> {
  const sql = ctx.sql();
  const [table] = await sql<{ oid: number | null }[]>`select pg_catalog.to_regclass('public.qc_jobs')::oid as oid`;
  if (!table?.oid) return undefined;
  const missing = await workerPrivilegesMissing(sql, table.oid);
  if (missing === null) return `there is no role service_role: on plain PostgreSQL run supabase/bootstrap/platform.sql, then ${WORKER_GRANT}`;
  return missing.length === 0 ? null : `service_role may not ${missing.join(", ")} public.qc_jobs: ${WORKER_GRANT}`;
}

export const verifyCommand: OpsCommand = {
  name: "verify",
  summary: "run every applied migration's verification checks (supabase/verify), pass or fail per check",
  description: `
For each migration the target has applied (per the CLI's history), runs its verification script
from supabase/verify check by check ("-- check: <name>" blocks that raise on failure), all inside
one transaction that is rolled back, so verifying never changes the database.
Migrations without a verification script (a project's own) are skipped. Then checks that
service_role may select, insert, update and delete public.qc_jobs (the kit's RPCs run with their
caller's privileges; a project's own grants, which no migration of the kit changes). Exits 1 when any check
fails, and when no check ran at all (no applied migration has a script: wrong --project?).`,
  options: {},
  examples: ["npm run ops:verify -- --env staging"],
  async run(ctx) {
    const failures = await runVerification(ctx);
    if (failures.length === 1 && failures[0]!.startsWith(NO_CHECK_RAN)) throw new OpsRefusal(failures[0]!);
    if (failures.length > 0) throw new OpsRefusal(`${failures.length} verification check(s) failed:\n  - ${failures.join("\n  - ")}`);
  },
};
