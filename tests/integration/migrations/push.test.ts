// The real Supabase CLI pushes the migrations: dry run, apply, up to date, history recorded.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbPush } from "../../../scripts/shared/supabase-cli.ts";
import { listMigrations } from "../../../scripts/shared/migration-files.ts";
import { createTestDatabase, type TestDatabase } from "../../support/test-database.ts";

const migrations = listMigrations();
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function appliedVersions(): Promise<string[]> {
  const exists = await db.sql`select to_regclass('supabase_migrations.schema_migrations') is not null as present`;
  if (!exists[0]!.present) return [];
  const rows = await db.sql`select version from supabase_migrations.schema_migrations order by version`;
  return rows.map((row) => row.version as string);
}

describe("supabase db push", () => {
  it("names every migration the CLI's way, with a 14-digit version", () => {
    expect(migrations.map((m) => m.name)).toEqual(
      expect.arrayContaining(["create_qc_jobs_baseline", "create_job_dlq", "add_heartbeat_column", "create_feature_flags"]),
    );
  });

  it("dry run lists every pending migration and changes nothing", async () => {
    const result = await dbPush(db.url, { dryRun: true });
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toContain("DRY RUN");
    for (const migration of migrations) expect(result.output).toContain(migration.fileName);
    expect(await appliedVersions()).toEqual([]);
    const tables = await db.sql`select count(*)::int as n from pg_tables where schemaname = 'public'`;
    expect(tables[0]!.n).toBe(0);
  });

  it("push applies them and records each version", async () => {
    const result = await dbPush(db.url);
    expect(result.exitCode, result.output).toBe(0);
    for (const migration of migrations) expect(result.output).toContain(`Applying migration ${migration.fileName}`);
    expect(await appliedVersions()).toEqual(migrations.map((m) => m.version));
    const tables = await db.sql`select tablename from pg_tables where schemaname = 'public' order by 1`;
    expect(tables.map((t) => t.tablename)).toEqual(["feature_flag_audit", "feature_flags", "job_dlq", "job_dlq_actions", "job_events", "job_type_settings", "qc_jobs", "rollout_events", "rollout_plans"]);
  });

  it("a second dry run reports the database up to date", async () => {
    const result = await dbPush(db.url, { dryRun: true });
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toContain("Remote database is up to date");
  });
});
