// preflight and verify against a real database: a fresh target passes (given a backup record),
// and each unsafe state is refused by name.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listMigrations } from "../../../scripts/shared/migration-files.ts";
import { backupFileName, recordPathOf, targetIdentity, type BackupRecord } from "../../../scripts/ops/plan/backup-files.ts";
import { createTestDatabase, type TestDatabase } from "../../support/test-database.ts";
import { ops } from "../../support/ops-runner.ts";
import { createPushedDatabase } from "../../support/pushed-database.ts";

// Two targets (a PGlite each costs seconds): fresh (conflicts are added and removed again), pushed.
let fresh: TestDatabase;
let pushed: TestDatabase;
const backupDir = mkdtempSync(path.join(tmpdir(), "rrk-preflight-backups-"));

beforeAll(async () => {
  fresh = await createTestDatabase();
  pushed = await createPushedDatabase();
});
afterAll(async () => {
  await fresh?.drop();
  await pushed?.drop();
  rmSync(backupDir, { recursive: true, force: true });
});

/** A backup record as `backup` writes it (a real dump needs a server pg_dump can read: ops-backup.test.ts). */
function recordBackup(url: string, takenAt: Date): void {
  mkdirSync(backupDir, { recursive: true });
  const file = path.join(backupDir, backupFileName(url, takenAt));
  writeFileSync(file, "dump");
  const record: BackupRecord = { file: path.basename(file), target: targetIdentity(url), createdAt: takenAt.toISOString(), serverVersion: "x", pgDumpVersion: "x", sizeBytes: 4, rowCounts: {}, consistentSnapshot: true };
  writeFileSync(recordPathOf(file), JSON.stringify(record));
}

const preflight = (db: TestDatabase, ...args: string[]) => ops(db.url, ["preflight", "--backup-dir", backupDir, ...args]);

describe("preflight", () => {
  it("passes a fresh target with a recent backup, listing every pending migration", async () => {
    recordBackup(fresh.url, new Date(Date.now() - 10 * 60_000));
    const run = await preflight(fresh);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/ok {4}backup .* taken 10\.0 min ago/);
    expect(run.output).toContain("ok    table job_dlq: free");
    expect(run.output).toContain("ok    column qc_jobs.last_heartbeat_at: absent");
    const versions = listMigrations().map((m) => m.version);
    expect(run.output).toContain(`${versions.length} pending: ${versions.join(", ")}`);
    expect(run.output).toContain(`other name(s) in ${versions.length} pending migration(s): all free`);
    expect(run.output).toContain("Preflight passed.");
  });

  it("refuses without a backup newer than the bound", async () => {
    const run = await preflight(fresh, "--max-backup-age", "5m");
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/REFUSED: 1 preflight check\(s\) failed:\n {2}- no backup of .* newer than 5\.0 min/);
  });

  it("refuses a conflicting job_dlq, a foreign heartbeat column and an index of another shape", async () => {
    const db = fresh;
    await db.sql.unsafe(`
      create table public.qc_jobs (id uuid primary key, created_at timestamptz, last_heartbeat_at bigint not null default 0);
      create table public.job_dlq (id serial primary key, note text);
      create index idx_qc_jobs_heartbeat on public.qc_jobs (created_at);`);
    const run = await preflight(db, "--skip-backup-check");
    await db.sql.unsafe("drop table public.job_dlq; drop table public.qc_jobs;");
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/FAIL {2}table job_dlq: exists with another shape: id is integer, expected uuid; job_id missing \(uuid\)/);
    expect(run.output).toMatch(/FAIL {2}column qc_jobs.last_heartbeat_at: exists as bigint not null with a default/);
    expect(run.output).toMatch(/FAIL {2}index idx_qc_jobs_heartbeat: exists with another definition: public.qc_jobs USING btree \(created_at\)/);
    expect(run.output).toContain("REFUSED: 3 preflight check(s) failed");
  });

  it("warns when a pending migration would replace a function the app already has", async () => {
    await fresh.sql`create function public.flag_bucket(a text, b text) returns integer language sql as 'select 1'`;
    try {
      const run = await preflight(fresh, "--skip-backup-check");
      expect(run.code, run.output).toBe(0);
      expect(run.output).toContain("WARN  function flag_bucket already exists; 20261125100400_create_flag_rollout_rule.sql REPLACES it (create or replace)");
    } finally {
      await fresh.sql`drop function public.flag_bucket(text, text)`;
    }
  });

  it("after a push, finds every object with our shape and nothing pending", async () => {
    const run = await preflight(pushed, "--skip-backup-check");
    expect(run.code, run.output).toBe(0);
    expect(run.output.match(/exists with our shape/g)).toHaveLength(14);
    expect(run.output).toContain("none pending: the target is up to date");
  });
});

describe("verify", () => {
  it("passes every check after a push and fails the one an operator broke, changing nothing", async () => {
    const db = pushed;
    const ok = await ops(db.url, ["verify"]);
    expect(ok.code, ok.output).toBe(0);
    expect(ok.output).toMatch(/(\d+) check\(s\) passed, 0 failed/);
    expect(ok.output).toContain("ok    idx_qc_jobs_heartbeat exists and is valid");

    await db.sql`drop index public.idx_qc_jobs_heartbeat`;
    const broken = await ops(db.url, ["verify"]);
    expect(broken.code).toBe(1);
    expect(broken.output).toContain("FAIL  idx_qc_jobs_heartbeat exists and is valid: index idx_qc_jobs_heartbeat is missing or invalid");
    expect(broken.output).toContain("REFUSED: 1 verification check(s) failed");
    // The checks write rows to prove triggers work; the rolled-back transaction keeps none.
    const [rows] = await db.sql`select (select count(*) from public.job_dlq)::int as dlq, (select count(*) from public.feature_flag_audit)::int as audit`;
    expect(rows).toEqual({ dlq: 0, audit: 2 });
  });

  it("skips migrations the target has not applied, and fails when that leaves no check to run", async () => {
    const run = await ops(fresh.url, ["verify"]);
    expect(run.output).toContain("20261125100100_create_job_dlq.sql: not applied, skipped");
    expect(run.output).toContain("0 check(s) passed, 0 failed.");
    expect(run.output).toContain("REFUSED: no check ran: the target has applied none of the");
    expect(run.code).toBe(1);
  });
});
