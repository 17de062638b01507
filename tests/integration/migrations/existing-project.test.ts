// An existing project: its history already holds an older timestamped migration that created
// qc_jobs, and the table holds jobs. The user copies our migrations into their supabase/migrations
// and pushes; the CLI applies ours (they sort after theirs) without --include-all, and the jobs survive.
import { beforeAll, describe, expect, it } from "vitest";
import { cpSync } from "node:fs";
import path from "node:path";
import { dbPush } from "../../../scripts/shared/supabase-cli.ts";
import { listMigrations } from "../../../scripts/shared/migration-files.ts";
import { KIT_SHAPED_QC_JOBS, useUserProject } from "../../support/adoption.ts";

/** The user's older migration's version: their history starts long before ours. */
const USERS_VERSION = "20240115093000";

/** Ours, copied into the user's supabase/migrations as the docs tell them to. */
function copyOurMigrations(dir: string): void {
  for (const migration of listMigrations()) {
    cpSync(migration.migrationPath, path.join(dir, "supabase", "migrations", migration.fileName));
  }
}

describe("pushing to a project that already has qc_jobs and a migration history", () => {
  const user = useUserProject(KIT_SHAPED_QC_JOBS, { regime: "legacy", version: USERS_VERSION });

  beforeAll(async () => {
    await user.db.sql`insert into public.qc_jobs (job_type, status, payload, tenant_id)
                 select 'report', 'completed', jsonb_build_object('n', n), 'tenant-' || n from generate_series(1, 3) as n`;
  });

  it("the dry run lists only our migrations as pending", async () => {
    copyOurMigrations(user.project.dir);
    const result = await dbPush(user.db.url, { cwd: user.project.dir, dryRun: true });
    expect(result.exitCode, result.output).toBe(0);
    for (const migration of listMigrations()) expect(result.output).toContain(migration.fileName);
    expect(result.output).not.toContain(`${USERS_VERSION}_create_qc_jobs.sql`);
  });

  it("push applies ours without --include-all and keeps every job and the table's own policies", async () => {
    const before = await user.db.sql`select id, payload, tenant_id from public.qc_jobs order by id`;
    const result = await dbPush(user.db.url, { cwd: user.project.dir });
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).not.toContain("--include-all");
    const after = await user.db.sql`select id, payload, tenant_id, last_heartbeat_at from public.qc_jobs order by id`;
    expect(after).toEqual(before.map((row) => ({ ...row, last_heartbeat_at: null })));
    const history = await user.db.sql`select version from supabase_migrations.schema_migrations order by version`;
    expect(history.map((row) => row.version)).toEqual([USERS_VERSION, ...listMigrations().map((m) => m.version)]);
    const policies = await user.db.sql`select policyname from pg_policies where tablename = 'qc_jobs'`;
    expect(policies.map((row) => row.policyname)).toEqual(["qc_jobs_owner_reads"]);
    const [comment] = await user.db.sql`select obj_description('public.qc_jobs'::regclass, 'pg_class') as text`;
    expect(comment!.text).toBeNull();
  });
});

describe("an existing qc_jobs that does not meet the contract", () => {
  const user = useUserProject(`create table public.qc_jobs (id bigint generated always as identity primary key, status text not null);`, { version: USERS_VERSION });

  beforeAll(() => copyOurMigrations(user.project.dir));

  it("stops the push with a plain-English message and leaves the history as it was", async () => {
    const result = await dbPush(user.db.url, { cwd: user.project.dir });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain("does not meet the reliability kit's contract");
    expect(result.output).toMatch(/missing or mistyped columns: .*id uuid/);
    const history = await user.db.sql`select version from supabase_migrations.schema_migrations order by version`;
    expect(history.map((row) => row.version)).toEqual([USERS_VERSION]);
    const [dlq] = await user.db.sql`select to_regclass('public.job_dlq') as present`;
    expect(dlq!.present).toBeNull();
  });
});
