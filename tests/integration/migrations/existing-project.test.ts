// An existing project: its history already holds an older timestamped migration that created
// qc_jobs, and the table holds jobs. The user copies our migrations into their supabase/migrations
// and pushes; the CLI applies ours (they sort after theirs) without --include-all, and the jobs survive.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { dbPush } from "../../../scripts/shared/supabase-cli.ts";
import { listMigrations } from "../../../scripts/shared/migration-files.ts";
import { SUPABASE_DIR } from "../../../scripts/shared/project-paths.ts";
import { createTestDatabase, type TestDatabase } from "../../support/test-database.ts";

const USERS_QC_JOBS = `
create table public.qc_jobs (
  id uuid primary key default gen_random_uuid(),
  job_type text not null,
  status text not null default 'pending',
  payload jsonb not null default '{}',
  attempts integer not null default 0,
  max_attempts integer not null default 5,
  tenant_id text,
  locked_by text,
  started_at timestamptz,
  finished_at timestamptz,
  last_error text,
  priority integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.qc_jobs enable row level security;
create policy qc_jobs_owner_reads on public.qc_jobs for select to authenticated using (tenant_id = (select auth.uid())::text);
grant select on public.qc_jobs to authenticated;
`;

/** A user's project folder: their own older migration plus ours, copied in. */
function userProject(olderMigrationSql: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "rrk-user-project-"));
  mkdirSync(path.join(dir, "supabase", "migrations"), { recursive: true });
  cpSync(path.join(SUPABASE_DIR, "config.toml"), path.join(dir, "supabase", "config.toml"));
  writeFileSync(path.join(dir, "supabase", "migrations", "20240115093000_create_qc_jobs.sql"), olderMigrationSql);
  return dir;
}

function copyOurMigrations(dir: string): void {
  for (const migration of listMigrations()) {
    cpSync(migration.migrationPath, path.join(dir, "supabase", "migrations", migration.fileName));
  }
}

describe("pushing to a project that already has qc_jobs and a migration history", () => {
  let db: TestDatabase;
  let projectDir: string;

  beforeAll(async () => {
    db = await createTestDatabase({ regime: "legacy" });
    projectDir = userProject(USERS_QC_JOBS);
    const first = await dbPush(db.url, { cwd: projectDir });
    expect(first.exitCode, first.output).toBe(0);
    await db.sql`insert into public.qc_jobs (job_type, status, payload, tenant_id)
                 select 'report', 'completed', jsonb_build_object('n', n), 'tenant-' || n from generate_series(1, 3) as n`;
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(projectDir, { recursive: true, force: true });
  });

  it("the dry run lists only our migrations as pending", async () => {
    copyOurMigrations(projectDir);
    const result = await dbPush(db.url, { cwd: projectDir, dryRun: true });
    expect(result.exitCode, result.output).toBe(0);
    for (const migration of listMigrations()) expect(result.output).toContain(migration.fileName);
    expect(result.output).not.toContain("20240115093000_create_qc_jobs.sql");
  });

  it("push applies ours without --include-all and keeps every job and the table's own policies", async () => {
    const before = await db.sql`select id, payload, tenant_id from public.qc_jobs order by id`;
    const result = await dbPush(db.url, { cwd: projectDir });
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).not.toContain("--include-all");
    const after = await db.sql`select id, payload, tenant_id, last_heartbeat_at from public.qc_jobs order by id`;
    expect(after).toEqual(before.map((row) => ({ ...row, last_heartbeat_at: null })));
    const history = await db.sql`select version from supabase_migrations.schema_migrations order by version`;
    expect(history.map((row) => row.version)).toEqual(["20240115093000", ...listMigrations().map((m) => m.version)]);
    const policies = await db.sql`select policyname from pg_policies where tablename = 'qc_jobs'`;
    expect(policies.map((row) => row.policyname)).toEqual(["qc_jobs_owner_reads"]);
    const [comment] = await db.sql`select obj_description('public.qc_jobs'::regclass, 'pg_class') as text`;
    expect(comment!.text).toBeNull();
  });
});

describe("an existing qc_jobs that does not meet the contract", () => {
  let db: TestDatabase;
  let projectDir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    projectDir = userProject(`create table public.qc_jobs (id bigint generated always as identity primary key, status text not null);`);
    const first = await dbPush(db.url, { cwd: projectDir });
    expect(first.exitCode, first.output).toBe(0);
    copyOurMigrations(projectDir);
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(projectDir, { recursive: true, force: true });
  });

  it("stops the push with a plain-English message and leaves the history as it was", async () => {
    const result = await dbPush(db.url, { cwd: projectDir });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain("does not meet the reliability kit's contract");
    expect(result.output).toMatch(/missing or mistyped columns: .*id uuid/);
    const history = await db.sql`select version from supabase_migrations.schema_migrations order by version`;
    expect(history.map((row) => row.version)).toEqual(["20240115093000"]);
    const [dlq] = await db.sql`select to_regclass('public.job_dlq') as present`;
    expect(dlq!.present).toBeNull();
  });
});
