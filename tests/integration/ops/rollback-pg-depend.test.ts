// rollback against later migrations added for the test: it refuses when Postgres itself records
// that a later object depends on what the rollback drops (pg_depend, SQLSTATE 2BP01: here a later
// migration's view on job_dlq), and it fails (FAILED, not REFUSED) when the rollback script itself
// has an SQL error. Either way nothing changes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbPush } from "../../../scripts/shared/supabase-cli.ts";
import type { TestDatabase } from "../../support/test-database.ts";
import { ops, projectCopy, targetState } from "../../support/ops-runner.ts";
import { createPushedDatabase } from "../../support/pushed-database.ts";

// Versioned after every real migration: `db push` refuses one older than the last applied.
const project = projectCopy({
  extra: [
    { fileName: "29991231000000_view_on_dlq_for_test.sql", migration: "create view public.open_dlq_for_test as select id from public.job_dlq;\n", verify: "-- check: view exists\nselect 'public.open_dlq_for_test'::regclass;\n" },
    {
      fileName: "29991231000001_broken_rollback_for_test.sql",
      migration: "create table public.broken_rollback_for_test (id int);\nalter table public.broken_rollback_for_test enable row level security;\n",
      rollback: "drop tabel public.broken_rollback_for_test;\n",
      verify: "-- check: table exists\nselect 'public.broken_rollback_for_test'::regclass;\n",
    },
  ],
});
let db: TestDatabase;

beforeAll(async () => {
  db = await createPushedDatabase();
  const push = await dbPush(db.url, { cwd: project.dir });
  if (push.exitCode !== 0) throw new Error(`db push of the test's migrations failed:\n${push.output}`);
});
afterAll(async () => {
  await db?.drop();
  project.remove();
});

describe("rollback", () => {
  it("refuses when Postgres itself records a dependency (a later view on job_dlq), changing nothing", async () => {
    const before = await targetState(db);
    const run = await ops(db.url, ["rollback", "20261125100100"], { projectDir: project.dir });
    expect(run.code).toBe(1);
    expect(run.output).toContain("REFUSED: Postgres refused the rollback because other objects depend on what it drops: cannot drop table job_dlq because other objects depend on it");
    expect(run.output).toContain("view open_dlq_for_test depends on table job_dlq");
    expect(await targetState(db)).toEqual(before);
  });

  it("reports an SQL error in the rollback script as FAILED, not REFUSED, changing nothing", async () => {
    const before = await targetState(db);
    for (const dryRun of [[], ["--dry-run"]]) {
      const run = await ops(db.url, ["rollback", "29991231000001", ...dryRun], { projectDir: project.dir });
      expect(run.code).toBe(1);
      expect(run.output).toContain('FAILED: the rollback script failed: syntax error at or near "tabel". Nothing was changed.');
      expect(run.output).not.toContain("REFUSED");
    }
    expect(await targetState(db)).toEqual(before);
  });
});
