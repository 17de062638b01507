// rollback refuses when Postgres itself records that a later object depends on what the rollback
// drops (pg_depend, SQLSTATE 2BP01): here a later migration's view on job_dlq.
import { describe, expect, it } from "vitest";
import { dbPush } from "../../../scripts/shared/supabase-cli.ts";
import { ops, projectCopy, targetState } from "../../support/ops-runner.ts";
import { createPushedDatabase } from "../../support/pushed-database.ts";

describe("rollback", () => {
  it("refuses when Postgres itself records a dependency (a later view on job_dlq), changing nothing", async () => {
    // Versioned after every real migration: `db push` refuses one older than the last applied.
    const project = projectCopy({
      extra: [{ fileName: "29991231000000_view_on_dlq_for_test.sql", migration: "create view public.open_dlq_for_test as select id from public.job_dlq;\n", verify: "-- check: view exists\nselect 'public.open_dlq_for_test'::regclass;\n" }],
    });
    const other = await createPushedDatabase();
    try {
      expect((await dbPush(other.url, { cwd: project.dir })).exitCode).toBe(0);
      const before = await targetState(other);
      const run = await ops(other.url, ["rollback", "20261125100100"], { projectDir: project.dir });
      expect(run.code).toBe(1);
      expect(run.output).toContain("REFUSED: Postgres refused the rollback because other objects depend on what it drops: cannot drop table job_dlq because other objects depend on it");
      expect(run.output).toContain("view open_dlq_for_test depends on table job_dlq");
      expect(await targetState(other)).toEqual(before);
    } finally {
      await other.drop();
      project.remove();
    }
  });

});
