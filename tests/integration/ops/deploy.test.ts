// deploy: the deployment order as one run. It stops at the first failure (here: a conflicting table
// found by preflight, before any backup or push). The whole run needs a backup, so its success
// path runs in server mode (pg_dump 15 cannot dump the embedded PGlite, which is PostgreSQL 18).
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connect } from "../../../scripts/shared/database.ts";
import { listMigrations } from "../../../scripts/shared/migration-files.ts";
import { OPS_LOCK_KEY } from "../../../scripts/ops/transaction.ts";
import { createTestDatabase, usingServer, type TestDatabase } from "../../support/test-database.ts";
import { ops } from "../../support/ops-runner.ts";

let db: TestDatabase;
let cwd: string;

beforeEach(async () => {
  db = await createTestDatabase();
  cwd = mkdtempSync(path.join(tmpdir(), "rrk-deploy-"));
});
afterEach(async () => {
  await db?.drop();
  rmSync(cwd, { recursive: true, force: true });
});

const backups = () => (existsSync(path.join(cwd, "backups")) ? readdirSync(path.join(cwd, "backups")).filter((f) => f.endsWith(".dump")) : []);

describe("deploy", () => {
  it("stops at preflight on a conflicting table: no backup, nothing pushed", async () => {
    await db.sql`create table public.job_dlq (id integer primary key, note text)`;
    const run = await ops(db.url, ["deploy"], { cwd });
    expect(run.code).toBe(1);
    expect(run.output).toContain("ok    feature_flags does not exist yet: its migration seeds both flags off");
    expect(run.output).toMatch(/FAIL {2}table job_dlq: exists with another shape/);
    expect(run.output).toContain('Deploy stopped at "2/5 preflight"; the later steps did not run.');
    expect(run.output).not.toContain("3/5 backup");
    expect(backups()).toEqual([]);
    const [history] = await db.sql`select to_regclass('supabase_migrations.schema_migrations') is null as none`;
    expect(history!.none).toBe(true);
  });

  describe.skipIf(!usingServer)("on a server", () => {
    // PGlite is one session, whose own advisory locks never block it: this needs a server.
    it("does not start while another ops run holds the ops lock", async () => {
      const other = connect(db.url);
      try {
        await other`select pg_advisory_lock(hashtext(${OPS_LOCK_KEY}))`;
        const run = await ops(db.url, ["deploy"], { cwd });
        expect(run.code).toBe(1);
        expect(run.output).toContain("REFUSED: another ops run holds the ops lock on this database; deploy did not start");
        expect(run.output).not.toContain("1/5 flags off");
      } finally {
        await other.end();
      }
    });

    it("runs flags off, preflight, backup, push, verify, then prints the next rollout step", async () => {
      writeFileSync(path.join(cwd, ".env.production"), `DATABASE_URL=${db.url}\nOPS_ACTOR=release-bot\n`);
      const first = await ops("postgresql://wrong@127.0.0.1:1/never", ["deploy", "--env", "production"], { cwd });
      expect(first.code, first.output).toBe(0);
      for (const step of ["1/5 flags off", "2/5 preflight", "3/5 backup", "4/5 supabase db push", "5/5 verify"]) {
        expect(first.output).toContain(`✓ ${step}`);
      }
      expect(first.output).toContain("Applying migration 20261125100400_create_flag_rollout_rule.sql");
      expect(first.output).toMatch(/\d+ check\(s\) passed, 0 failed/);
      expect(first.output).toContain("Next step: npm run ops -- rollout canary --env production");
      expect(backups()).toHaveLength(1);
      const history = await db.sql`select count(*)::int as n from supabase_migrations.schema_migrations`;
      expect(history[0]!.n).toBe(listMigrations().length);

      // A later deploy turns live flags off first, audited, and finds nothing to push.
      expect((await ops(db.url, ["rollout", "staging"], { cwd })).code).toBe(0);
      const second = await ops(db.url, ["deploy", "--env", "production"], { cwd });
      expect(second.code, second.output).toBe(0);
      const flags = await db.sql`select bool_or(enabled) as any_on from public.feature_flags`;
      expect(flags[0]!.any_on).toBe(false);
      const [audit] = await db.sql`select actor from public.feature_flag_audit order by id desc limit 1`;
      expect(audit!.actor).toBe("release-bot");
      expect(second.output).toContain("Remote database is up to date");
      expect(backups()).toHaveLength(2);
    });
  });
});
