// rollback against a real database: the script runs, the CLI's history forgets the version, a
// later push applies it again; a dependent later migration, open DLQ entries or an unapplied
// version refuse and change nothing.
import { describe, expect, it } from "vitest";
import { dbPush } from "../../../scripts/shared/supabase-cli.ts";
import { listMigrations } from "../../../scripts/shared/migration-files.ts";
import { ops, targetState } from "../../support/ops-runner.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const db = usePushedDatabase();
/** The newest migration: nothing is applied after it, so nothing can depend on it. */
const last = listMigrations().at(-1)!;

const state = () => targetState(db);

describe("rollback", () => {
  it("refuses when a later applied migration depends on it, changing nothing", async () => {
    const before = await state();
    const run = await ops(db.url, ["rollback", "20261125100300"]);
    expect(run.code).toBe(1);
    expect(run.output).toContain("Later applied migrations checked for dependencies: 20261125100400");
    expect(run.output).toMatch(/FAIL {2}after the rollback, 20261125100400_create_flag_rollout_rule\.sql: flag_enabled follows enabled and rollout_percentage: relation "public.feature_flags" does not exist/);
    expect(run.output).toContain("REFUSED: later applied migration(s) depend on 20261125100300_create_feature_flags.sql");
    expect(await state()).toEqual(before);
  });

  it("refuses to drop a dead-letter queue holding open entries unless data loss is allowed", async () => {
    await db.sql`insert into public.job_dlq (job_id, job_type, payload) values (gen_random_uuid(), 'email', '{}')`;
    const before = await state();
    const run = await ops(db.url, ["rollback", "20261125100100", "--dry-run"]);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/REFUSED: the rollback script refused: job_dlq holds 1 open entries; rolling back would lose them/);
    // Past the data guard, later migrations may still depend on job_dlq (then the refusal says so).
    const allowed = await ops(db.url, ["rollback", "20261125100100", "--dry-run", "--allow-data-loss"]);
    expect(allowed.output).not.toContain("rolling back would lose them");
    expect(allowed.output).toMatch(/Dry run: .*Nothing was changed\.|Dry run: the rollback would be REFUSED|Postgres refused the rollback because other objects depend/);
    expect(await state()).toEqual(before);
    await db.sql`delete from public.job_dlq`;
  });

  it("refuses a version that is not applied", async () => {
    const [applied] = await db.sql`delete from supabase_migrations.schema_migrations where version = ${last.version} returning *`;
    try {
      const run = await ops(db.url, ["rollback", last.version]);
      expect(run.code).toBe(1);
      expect(run.output).toContain(`REFUSED: ${last.fileName} is not applied on the target`);
    } finally {
      await db.sql`insert into supabase_migrations.schema_migrations ${db.sql(applied!)}`;
    }
  });

  it("rolls back the last migration, marks it reverted, and a later push applies it again", async () => {
    const before = await state();
    const run = await ops(db.url, ["rollback", last.version]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(`supabase migration repair --status reverted ${last.version}`);
    const rolledBack = await state();
    expect(rolledBack.history).not.toContain(last.version);
    expect(rolledBack.schema).not.toEqual(before.schema);

    const dry = await dbPush(db.url, { dryRun: true });
    expect(dry.output).toContain(last.fileName);
    expect((await dbPush(db.url)).exitCode).toBe(0);
    const after = await state();
    expect(after.history).toEqual(before.history);
    expect(after.schema).toEqual(before.schema);
  });

  it("with --force, rolls back despite a dependent migration and says so", async () => {
    const run = await ops(db.url, ["rollback", "20261125100300", "--force"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/WARN {2}--force: committed although \d+ check\(s\) of later migrations now fail/);
    const [table] = await db.sql`select to_regclass('public.feature_flags') is null as gone`;
    expect(table!.gone).toBe(true);
    expect((await state()).history).not.toContain("20261125100300");
  });

  it("rejects a missing version argument as a usage error", async () => {
    const run = await ops(db.url, ["rollback"]);
    expect(run.code).toBe(2);
    expect(run.output).toContain("rollback takes exactly one migration version");
  });
});
