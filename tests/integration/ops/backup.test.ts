// backup and restore. pg_dump 15 (this machine's client) refuses to dump a newer server, and the
// embedded PGlite is PostgreSQL 18: the round trip therefore runs in server mode (CI runs both),
// and on PGlite the test checks that backup refuses clearly instead of writing a broken file.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactUrl } from "../../../scripts/shared/database.ts";
import { listMigrations } from "../../../scripts/shared/migration-files.ts";
import type { BackupRecord } from "../../../scripts/ops/plan/backup-files.ts";
import { createTestDatabase, usingServer, type TestDatabase } from "../../support/test-database.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";
import { ops } from "../../support/ops-runner.ts";

const source = usePushedDatabase();
const backupDir = mkdtempSync(path.join(tmpdir(), "rrk-backups-"));

beforeAll(async () => {
  await source.sql.unsafe(`
    insert into public.qc_jobs (job_type, payload, tenant_id) select 'email', jsonb_build_object('n', n), 'tenant-' || (n % 7) from generate_series(1, 250) n;
    insert into public.job_dlq (job_id, job_type, payload, error_message) select gen_random_uuid(), 'email', jsonb_build_object('n', n), 'smtp 550' from generate_series(1, 30) n;
    update public.feature_flags set enabled = true, rollout_percentage = 5 where key = 'DLQ_ENABLED';`);
});
afterAll(async () => {
  rmSync(backupDir, { recursive: true, force: true });
});

const dumps = () => (existsSync(backupDir) ? readdirSync(backupDir).filter((f) => f.endsWith(".dump")) : []);

/** Every row of the kit's tables, as text, in a stable order. */
async function contents(db: TestDatabase) {
  const out: Record<string, string[]> = {};
  for (const table of ["qc_jobs", "job_dlq", "feature_flags", "feature_flag_audit"]) {
    const rows = await db.sql.unsafe(`select t::text as row from public.${table} t order by t::text`);
    out[table] = rows.map((r) => r.row as string);
  }
  return out;
}

describe("restore", () => {
  it("refuses a backup file that does not exist", async () => {
    const run = await ops(source.url, ["restore", "no-such.dump", "--backup-dir", backupDir, "--yes"]);
    expect(run.code).toBe(1);
    expect(run.output).toContain("REFUSED: backup file no-such.dump does not exist");
  });
});

describe.skipIf(usingServer)("backup of the embedded PGlite", () => {
  it("refuses with the reason and writes no file", async () => {
    const run = await ops(source.url, ["backup", "--backup-dir", backupDir]);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/REFUSED: pg_dump \(PostgreSQL\) \d+\.\d+.* cannot read a PostgreSQL \d+.* server: backup and restore need a pg_dump of version \d+ or newer/);
    expect(dumps()).toEqual([]);
  });
});

describe.skipIf(!usingServer)("backup and restore on a server", () => {
  let file = "";

  it("backup writes a custom-format dump with its size and every table's row count", async () => {
    const run = await ops(source.url, ["backup", "--backup-dir", backupDir]);
    expect(run.code, run.output).toBe(0);
    expect(dumps()).toHaveLength(1);
    file = path.join(backupDir, dumps()[0]!);
    expect(readFileSync(file).subarray(0, 5).toString()).toBe("PGDMP");
    const record = JSON.parse(readFileSync(`${file}.json`, "utf8")) as BackupRecord;
    expect(record.consistentSnapshot).toBe(true);
    expect(record.sizeBytes).toBeGreaterThan(1000);
    expect(record.rowCounts).toMatchObject({ "public.qc_jobs": 250, "public.job_dlq": 30, "public.feature_flags": 2, "public.feature_flag_audit": 3, "supabase_migrations.schema_migrations": listMigrations().length });
    expect(run.output).toMatch(/public\.qc_jobs +250/);
    expect(run.output).toMatch(/Backup: .*\.dump \(\d+\.\d KiB, custom format, row counts from the dumped snapshot\)/);
    expect(dumps().some((f) => f.endsWith(".partial"))).toBe(false);
  });

  it("preflight accepts that backup as recent", async () => {
    const run = await ops(source.url, ["preflight", "--backup-dir", backupDir]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/ok {4}backup .*\.dump taken .* ago \(\d+ tables\)/);
  });

  it("restore refuses a target the operator did not confirm, and restores nothing", async () => {
    const target = await createTestDatabase({ bootstrap: false });
    try {
      const asked: string[] = [];
      const run = await ops(target.url, ["restore", file], { confirm: async (_question, expected) => (asked.push(expected), false) });
      expect(run.code).toBe(1);
      const identity = `127.0.0.1:5432${new URL(target.url).pathname}`;
      expect(asked).toEqual([identity]);
      // Printed redacted: whatever credentials the URL carries, no password reaches the output.
      expect(run.output).toContain(`Restore INTO: ${redactUrl(target.url)}`);
      expect(run.output).toContain(`restore into ${identity} was not confirmed; nothing was restored`);
      const [tables] = await target.sql`select count(*)::int as n from pg_tables where schemaname = 'public'`;
      expect(tables!.n).toBe(0);
    } finally {
      await target.drop();
    }
  });

  it("restore into a confirmed target keeps every row", async () => {
    const target = await createTestDatabase({ bootstrap: false });
    try {
      const run = await ops(target.url, ["restore", file], { confirm: async (_question, expected) => expected === `127.0.0.1:5432${new URL(target.url).pathname}` });
      expect(run.code, run.output).toBe(0);
      expect(run.output).toContain("every row count matches the backup");
      expect(await contents(target)).toEqual(await contents(source));
      // The restored database is a working target: the CLI sees it up to date, verify passes.
      const verify = await ops(target.url, ["verify"]);
      expect(verify.code, verify.output).toBe(0);
    } finally {
      await target.drop();
    }
  });
});
