// The feature migrations (20261125100600..100910): pushed by the real CLI, their verification
// scripts pass, each check fails when what it checks is broken, and rollbacks undo them.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { listMigrations } from "../../../scripts/shared/migration-files.ts";
import { runScript } from "../../../scripts/shared/database.ts";
import { verifyMigration } from "../../../scripts/ops/verification.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const featureMigrations = listMigrations().filter((m) => m.version >= "20261125100600" && m.version < "20261125101000");
const heartbeatMigration = listMigrations().find((m) => m.name === "add_heartbeat_column")!;
const db = usePushedDatabase();

describe("feature migrations", () => {
  it("are the expected files, each with a rollback and a verification", () => {
    expect(featureMigrations.map((m) => m.name)).toEqual([
      "add_job_dlq_job_snapshot",
      "create_job_worker_rpcs",
      "create_job_watchdog",
      "schedule_job_watchdog",
      "create_job_dlq_actions",
      "create_dlq_operations",
    ]);
    for (const m of featureMigrations) {
      expect(readFileSync(m.rollbackPath, "utf8")).toMatch(/lock_timeout/);
      expect(readFileSync(m.verifyPath, "utf8")).toMatch(/-- check:/);
    }
  });

  it("pass their verification scripts, and 20261125100200's new checks", async () => {
    for (const m of [heartbeatMigration, ...featureMigrations]) {
      const results = await verifyMigration(db.sql, m);
      expect(results.filter((r) => !r.passed), m.fileName).toEqual([]);
      expect(results.length).toBeGreaterThan(0);
    }
  });

  it("002 lowers qc_jobs' fillfactor to 80 (catalog only) and its check fails without it", async () => {
    const [row] = await db.sql`select reloptions from pg_class where oid = 'public.qc_jobs'::regclass`;
    expect(row!.reloptions).toContain("fillfactor=80");
    await db.sql`alter table public.qc_jobs reset (fillfactor)`;
    try {
      const results = await verifyMigration(db.sql, heartbeatMigration);
      expect(results.find((r) => r.name.includes("fillfactor"))?.passed).toBe(false);
    } finally {
      await db.sql`alter table public.qc_jobs set (fillfactor = 80)`;
    }
  });

  it("verification fails when a worker RPC is callable by anon", async () => {
    const rpcs = featureMigrations.find((m) => m.name === "create_job_worker_rpcs")!;
    await db.sql`grant execute on function public.heartbeat_job(uuid, text, integer, interval) to anon`;
    try {
      const results = await verifyMigration(db.sql, rpcs);
      expect(results[0]!.passed).toBe(false);
      expect(results[0]!.error).toMatch(/heartbeat_job.*service_role only/);
    } finally {
      await db.sql`revoke execute on function public.heartbeat_job(uuid, text, integer, interval) from anon`;
    }
  });

  it("verification fails when the watchdog reclaims a fresh job", async () => {
    const watchdog = featureMigrations.find((m) => m.name === "create_job_watchdog")!;
    const original = readFileSync(watchdog.migrationPath, "utf8");
    // A watchdog that forgot the staleness condition.
    await runScript(db.sql, original.replace("and coalesce(q.last_heartbeat_at, q.started_at) < cutoff", "").replace(
      "if job.status <> 'running' or coalesce(job.last_heartbeat_at, job.started_at) >= cutoff then", "if false then"));
    try {
      const results = await verifyMigration(db.sql, watchdog);
      expect(results.find((r) => r.name.includes("fresh one"))?.passed).toBe(false);
    } finally {
      await runScript(db.sql, original);
    }
    expect((await verifyMigration(db.sql, watchdog)).every((r) => r.passed)).toBe(true);
  });

  it("roll back in reverse order, and apply again", async () => {
    for (const m of [...featureMigrations].reverse()) await runScript(db.sql, readFileSync(m.rollbackPath, "utf8"));
    const left = await db.sql`
      select proname from pg_proc where pronamespace = 'public'::regnamespace
        and proname in ('claim_jobs', 'heartbeat_job', 'complete_job', 'fail_job', 'reclaim_stale_jobs',
                        'dlq_retry_entry', 'dlq_redrive', 'dlq_discard_entry', 'schedule_job_watchdog')`;
    expect(left).toEqual([]);
    const column = await db.sql`select 1 from information_schema.columns where table_name = 'job_dlq' and column_name = 'job_snapshot'`;
    expect(column.length).toBe(0);
    for (const m of featureMigrations) await runScript(db.sql, readFileSync(m.migrationPath, "utf8"));
    // Applying twice is harmless.
    for (const m of featureMigrations) await runScript(db.sql, readFileSync(m.migrationPath, "utf8"));
    for (const m of featureMigrations) {
      expect((await verifyMigration(db.sql, m)).filter((r) => !r.passed), m.fileName).toEqual([]);
    }
  });
});
