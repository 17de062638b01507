// dry-run against a real database: the CLI's dry run, then the pending migrations applied in one
// rolled-back transaction. The target's schema and history are the same afterwards.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../../scripts/shared/database.ts";
import { dbPush } from "../../../scripts/shared/supabase-cli.ts";
import { createTestDatabase, usingServer, type TestDatabase } from "../../support/test-database.ts";
import { ops, projectCopy, targetState } from "../../support/ops-runner.ts";

let db: TestDatabase;
/** The first two migrations only: the target has qc_jobs and job_dlq, and three are pending. */
const firstTwo = projectCopy({ upTo: "20261125100100" });
const broken = projectCopy({
  extra: [{ fileName: "20261125109900_broken_for_test.sql", migration: "-- A migration whose SQL fails.\nalter table public.qc_jobs add column oops no_such_type;\n" }],
});

beforeAll(async () => {
  db = await createTestDatabase();
  const push = await dbPush(db.url, { cwd: firstTwo.dir });
  expect(push.exitCode, push.output).toBe(0);
});
afterAll(async () => {
  await db?.drop();
  firstTwo.remove();
  broken.remove();
});

const state = () => targetState(db);

describe("dry-run", () => {
  it("applies every pending migration in one transaction, reports each, and leaves the target unchanged", async () => {
    const before = await state();
    expect(before.history).toEqual(["20261125100000", "20261125100100"]);
    const run = await ops(db.url, ["dry-run", "--lock-timeout", "2s", "--print-sql"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("DRY RUN: migrations will *not* be pushed");
    expect(run.output).toMatch(/20261125100200_add_heartbeat_column\.sql +applied +\d/);
    expect(run.output).toMatch(/20261125100400_create_flag_rollout_rule\.sql +applied +\d/);
    expect(run.output).not.toMatch(/20261125100100_create_job_dlq\.sql +applied/);
    expect(run.output).toContain("concurrent index built in-transaction for the dry run");
    expect(run.output).toContain("set local lock_timeout = '2000ms';");
    expect(run.output).toContain("create index if not exists idx_qc_jobs_heartbeat");
    expect(run.output).toContain("the target is unchanged");
    expect(await state()).toEqual(before);
  });

  it("refuses a migration whose SQL fails, names it, and still changes nothing", async () => {
    const before = await state();
    const run = await ops(db.url, ["dry-run"], { projectDir: broken.dir });
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/20261125100400_create_flag_rollout_rule\.sql +applied/);
    expect(run.output).toMatch(/20261125109900_broken_for_test\.sql +failed .*type "no_such_type" does not exist/);
    expect(run.output).toContain("REFUSED: 20261125109900_broken_for_test.sql failed in the dry run");
    expect(await state()).toEqual(before);
  });

  // A second session holding a lock: PGlite is one session, so only a server can show a lock wait.
  describe.skipIf(!usingServer)("on a server", () => {
    it("stops at lock_timeout when another session holds qc_jobs, instead of queueing behind it", async () => {
      const before = await state();
      const holder = connect(db.url);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const holding = holder.begin(async (tx) => {
        await tx`lock table public.qc_jobs in access share mode`;
        await released;
      });
      try {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const run = await ops(db.url, ["dry-run", "--lock-timeout", "1s"]);
        expect(run.code).toBe(1);
        expect(run.output).toMatch(/20261125100200_add_heartbeat_column\.sql +failed .*waited longer than lock_timeout/);
      } finally {
        release();
        await holding;
        await holder.end();
      }
      expect(await state()).toEqual(before);
    });
  });

  it("on production, refuses to build indexes in-transaction unless told --yes", async () => {
    const before = await state();
    const cwd = mkdtempSync(path.join(tmpdir(), "rrk-dry-run-env-"));
    writeFileSync(path.join(cwd, ".env.production"), `DATABASE_URL=${db.url}\n`);
    try {
      const refused = await ops("postgresql://unused@127.0.0.1:1/x", ["dry-run", "--env", "production"], { cwd });
      expect(refused.code).toBe(1);
      expect(refused.output).toContain("REFUSED: 20261125100200_add_heartbeat_column.sql, 20261202120200_index_rollout_windows.sql build(s) indexes CONCURRENTLY");
      expect(refused.output).not.toContain("apply 3 pending migration(s)");
      const accepted = await ops("postgresql://unused@127.0.0.1:1/x", ["dry-run", "--env", "production", "--yes"], { cwd });
      expect(accepted.code, accepted.output).toBe(0);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
    expect(await state()).toEqual(before);
  });

  // Last: it pushes the pending migrations to the shared target.
  it("reports nothing to do on an up-to-date target", async () => {
    expect((await dbPush(db.url)).exitCode).toBe(0);
    const run = await ops(db.url, ["dry-run"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("Nothing pending: the target is up to date.");
  });
});
