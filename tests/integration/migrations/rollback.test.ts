// Rollback scripts undo their migration exactly: after rolling back and pushing again the schema
// is identical to before, verification passes after a push and fails after a rollback, and every
// migration can be applied twice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbPush, markReverted } from "../../../scripts/shared/supabase-cli.ts";
import { listMigrations, readSql, type MigrationFile } from "../../../scripts/shared/migration-files.ts";
import { runScript } from "../../../scripts/shared/database.ts";
import { schemaSnapshot } from "../../support/schema-snapshot.ts";
import { verifyMigration } from "../../../scripts/ops/verification.ts";
import { createTestDatabase, type TestDatabase } from "../../support/test-database.ts";

const migrations = listMigrations();
let db: TestDatabase;
let pushedSchema: string[];

/** Pushes; the CLI must apply exactly `pending` (every migration after an empty history). */
async function push(pending: readonly MigrationFile[] = migrations): Promise<void> {
  const result = await dbPush(db.url);
  expect(result.exitCode, result.output).toBe(0);
  const applied = result.output.match(/Applying migration \S+\.sql/g) ?? [];
  expect(applied).toEqual(pending.map((m) => `Applying migration ${m.fileName}`));
}

/** Runs the rollback scripts, newest first, then makes the CLI's history forget them (one run). */
async function rollBack(newestFirst: readonly MigrationFile[]): Promise<void> {
  for (const migration of newestFirst) await runScript(db.sql, readSql(migration.rollbackPath));
  await markReverted(db.url, newestFirst.map((m) => m.version));
}

beforeAll(async () => {
  db = await createTestDatabase();
  await push();
  pushedSchema = await schemaSnapshot(db.sql);
});
afterAll(async () => {
  await db?.drop();
});

describe("verification", () => {
  it.each(migrations.map((m) => [m.fileName, m] as const))("%s passes every check after the push", async (_, migration) => {
    const results = await verifyMigration(db.sql, migration);
    expect(results.length).toBeGreaterThan(0);
    expect(results.filter((r) => !r.passed)).toEqual([]);
  });

  it("leaves no trace: checks that write are rolled back", async () => {
    expect(await schemaSnapshot(db.sql)).toEqual(pushedSchema);
    const [entries] = await db.sql`select count(*)::int as n from public.job_dlq`;
    expect(entries!.n).toBe(0);
  });
});

describe("rollback, then push", () => {
  // Roll back from the newest migration down to each one in turn (later migrations may depend on
  // earlier ones), check that verification now fails, push again, and compare the schema.
  it.each([...migrations].reverse().map((m) => [m.fileName, m] as const))(
    "down to %s: verification fails, a push restores the identical schema",
    async (_, target) => {
      const toRollBack = migrations.filter((m) => m.version >= target.version).reverse();
      await rollBack(toRollBack);

      const afterRollback = await verifyMigration(db.sql, target);
      expect(afterRollback.some((r) => !r.passed), `verification of ${target.fileName} still passes`).toBe(true);

      await push([...toRollBack].reverse());
      expect(await schemaSnapshot(db.sql)).toEqual(pushedSchema);
      expect((await verifyMigration(db.sql, target)).every((r) => r.passed)).toBe(true);
    },
  );

  it("the job_dlq rollback refuses while open entries would be lost, unless told to drop them", async () => {
    const dlq = migrations.find((m) => m.name === "create_job_dlq")!;
    const later = migrations.filter((m) => m.version > dlq.version).reverse();
    await rollBack(later);
    await db.sql`insert into public.job_dlq (job_id, job_type, payload) values (gen_random_uuid(), 'email', '{}')`;

    await expect(runScript(db.sql, readSql(dlq.rollbackPath))).rejects.toThrow(/job_dlq holds 1 open entries/);
    const [still] = await db.sql`select count(*)::int as n from public.job_dlq`;
    expect(still!.n).toBe(1);

    await db.sql.begin(async (tx) => {
      await tx`select set_config('rollback.allow_data_loss', 'on', true)`;
      await runScript(tx, readSql(dlq.rollbackPath));
    });
    await markReverted(db.url, dlq.version);
    const [gone] = await db.sql`select to_regclass('public.job_dlq') as present`;
    expect(gone!.present).toBeNull();
    await push(migrations.filter((m) => m.version >= dlq.version));
    expect(await schemaSnapshot(db.sql)).toEqual(pushedSchema);
  });
});

describe("idempotence", () => {
  it("applying every migration a second time changes nothing", async () => {
    await db.sql`insert into public.qc_jobs (job_type, payload) values ('email', '{"n":1}')`;
    const flagsBefore = await db.sql`select key, enabled, rollout_percentage from public.feature_flags order by key`;
    await markReverted(db.url, migrations.map((m) => m.version));
    await push();
    expect(await schemaSnapshot(db.sql)).toEqual(pushedSchema);
    expect(await db.sql`select key, enabled, rollout_percentage from public.feature_flags order by key`).toEqual(flagsBefore);
    const [jobs] = await db.sql`select count(*)::int as n from public.qc_jobs`;
    expect(jobs!.n).toBe(1);
  });

  it("an INVALID heartbeat index left by an interrupted concurrent build is rebuilt, not skipped", async () => {
    const heartbeat = migrations.find((m) => m.name === "add_heartbeat_column")!;
    await db.sql`insert into public.qc_jobs (job_type, payload) values ('email', '{"n":2}')`;
    await db.sql`drop index public.idx_qc_jobs_heartbeat`;
    // A unique build over duplicate values fails and leaves an INVALID index behind, as an
    // interrupted CREATE INDEX CONCURRENTLY does.
    await expect(db.sql.unsafe(`create unique index concurrently idx_qc_jobs_heartbeat on public.qc_jobs (job_type)`)).rejects.toThrow();
    const [broken] = await db.sql`select indisvalid from pg_index where indexrelid = 'public.idx_qc_jobs_heartbeat'::regclass`;
    expect(broken!.indisvalid).toBe(false);
    expect((await verifyMigration(db.sql, heartbeat)).some((r) => !r.passed)).toBe(true);

    // As after a push that stopped inside 20261125100200: it and everything after it are not in the history.
    const fromHeartbeat = migrations.filter((m) => m.version >= heartbeat.version);
    await markReverted(db.url, fromHeartbeat.map((m) => m.version));
    await push(fromHeartbeat);
    expect(await schemaSnapshot(db.sql)).toEqual(pushedSchema);
    expect((await verifyMigration(db.sql, heartbeat)).every((r) => r.passed)).toBe(true);
  });
});
