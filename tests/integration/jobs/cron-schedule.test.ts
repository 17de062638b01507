// The watchdog's pg_cron schedule (20261125100800_schedule_job_watchdog), on both paths:
// 1. Where pg_cron cannot be created (PGlite; a server without it; a database other than
//    cron.database_name), the migrations still apply, nothing is scheduled, and the function
//    says why. Runs in both modes.
// 2. Where it can (CI preloads pg_cron with cron.database_name = rrk_cron, see .ci/run), pushing
//    the migrations into that database schedules exactly one job qc-jobs-watchdog every minute,
//    and scheduling again keeps one. Server only, and skipped (with a message) when the server
//    does not preload pg_cron for a database this test may own (a name starting with rrk_).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { connect, runScript, type Sql } from "../../../scripts/shared/database.ts";
import { dbPush } from "../../../scripts/shared/supabase-cli.ts";
import { findMigration } from "../../../scripts/shared/migration-files.ts";
import { verifyMigration } from "../../../scripts/ops/verification.ts";
import { bootstrapPlatform } from "../../../scripts/shared/platform-bootstrap.ts";
import { usingServer, withDatabase } from "../../support/test-database.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const scheduleMigration = findMigration("20261125100800");

describe("without pg_cron in the database", () => {
  const db = usePushedDatabase();

  it("the migrations apply, nothing is scheduled, and the function says why", async () => {
    const [applied] = await db.sql`select count(*)::int as n from supabase_migrations.schema_migrations where version = ${scheduleMigration.version}`;
    expect(applied!.n).toBe(1);
    const [extension] = await db.sql`select count(*)::int as n from pg_extension where extname = 'pg_cron'`;
    expect(extension!.n).toBe(0);
    const [result] = await db.sql`select public.schedule_job_watchdog() as outcome`;
    expect(result!.outcome).toMatch(db.kind === "embedded" ? /^pg_cron not available$/ : /^pg_cron not (available|created: .+)$/);
    expect((await verifyMigration(db.sql, scheduleMigration)).every((r) => r.passed)).toBe(true);
  });
});

describe.skipIf(!usingServer)("with pg_cron preloaded for this database (server only)", () => {
  let admin: Sql;
  let cronDatabase: string | null = null;
  let sql: Sql | undefined;

  beforeAll(async () => {
    admin = connect(process.env.TEST_DATABASE_URL!);
    const [row] = await admin`
      select current_setting('shared_preload_libraries') ~ '(^|,\\s*)pg_cron(\\s*,|$)' as preloaded,
             current_setting('cron.database_name', true) as database`;
    if (row!.preloaded && typeof row!.database === "string" && /^rrk_\w+$/.test(row!.database)) cronDatabase = row!.database;
    if (!cronDatabase) return;
    await admin.unsafe(`drop database if exists ${cronDatabase} with (force)`);
    await admin.unsafe(`create database ${cronDatabase}`);
    sql = connect(withDatabase(process.env.TEST_DATABASE_URL!, cronDatabase));
    await bootstrapPlatform(sql);
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    if (cronDatabase) await admin.unsafe(`drop database if exists ${cronDatabase} with (force)`);
    await admin?.end({ timeout: 5 });
  });

  const scheduledJobs = () =>
    sql!`select jobname, schedule, command, active from cron.job where jobname = 'qc-jobs-watchdog'`;

  it("supabase db push schedules the watchdog once; scheduling again keeps one job; rollback unschedules", async (context) => {
    if (!cronDatabase) {
      console.log("skipped: this server does not preload pg_cron with cron.database_name = rrk_* (.ci/run sets it up)");
      context.skip();
    }
    const result = await dbPush(withDatabase(process.env.TEST_DATABASE_URL!, cronDatabase!));
    expect(result.exitCode, result.output).toBe(0);
    expect(await scheduledJobs()).toEqual([
      { jobname: "qc-jobs-watchdog", schedule: "* * * * *", command: "select count(*) from public.reclaim_stale_jobs()", active: true },
    ]);
    expect(await sql!`select public.schedule_job_watchdog() as outcome`).toEqual([{ outcome: "scheduled" }]);
    // The rollout tick is scheduled the same way, next to it.
    expect(await sql!`select schedule, command, active from cron.job where jobname = 'rollout-tick'`).toEqual([
      { schedule: "* * * * *", command: "select count(*) from public.rollout_tick()", active: true },
    ]);
    await sql!.unsafe("select count(*) from public.rollout_tick()");
    await runScript(sql!, readFileSync(scheduleMigration.migrationPath, "utf8"));
    expect(await scheduledJobs()).toHaveLength(1);
    expect((await verifyMigration(sql!, scheduleMigration)).filter((r) => !r.passed)).toEqual([]);
    // The scheduled command runs as written.
    await sql!.unsafe("select count(*) from public.reclaim_stale_jobs()");

    await runScript(sql!, readFileSync(scheduleMigration.rollbackPath, "utf8"));
    expect(await scheduledJobs()).toHaveLength(0);
    // The verification notices a missing schedule where pg_cron is there.
    await runScript(sql!, readFileSync(scheduleMigration.migrationPath, "utf8"));
    await sql!`select cron.unschedule('qc-jobs-watchdog')`;
    const failed = (await verifyMigration(sql!, scheduleMigration)).filter((r) => !r.passed);
    expect(failed.map((r) => r.name)).toEqual([expect.stringMatching(/exactly one job qc-jobs-watchdog/)]);
  });
});
