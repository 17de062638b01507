// A project with a migration history but no qc_jobs: before kit add, `ops verify --project` has no
// check to run and says so (exit 1); kit add (no database needed) writes the kit's baseline, which
// creates qc_jobs after the project's own migrations. And how ops commands pick the project folder.
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PROJECT_ROOT } from "../../../scripts/shared/project-paths.ts";
import { dbPush } from "../../../scripts/shared/supabase-cli.ts";
import { resolveProjectDir } from "../../../scripts/ops/run-ops.ts";
import { kitAdd, projectFiles, scratchProject, useUserProject } from "../../support/adoption.ts";
import { ops } from "../../support/ops-runner.ts";

describe("adopting into a project without qc_jobs", () => {
  const user = useUserProject("create table public.profiles (id uuid primary key, name text);\nalter table public.profiles enable row level security;\n");

  it("ops verify --project fails when it ran no check, saying why", async () => {
    const run = await ops(user.db.url, ["verify", "--project", user.project.dir]);
    expect(run.output).toContain("0 check(s) passed, 0 failed.");
    expect(run.output).toContain("no check ran: none of the 1 applied migration(s)");
    expect(run.output).toContain("has a verification script in ../verify (wrong --project?)");
    expect(run.code).toBe(1);
  });

  it("kit add writes the kit's baseline after the project's migrations, and the push creates qc_jobs", async () => {
    const added = await kitAdd(["--project", user.project.dir, "--yes"]);
    expect(added.code, added.output).toBe(0);
    expect(added.output).toContain("qc_jobs: none and none in supabase/migrations: the kit's baseline creates it");
    const files = Object.keys(projectFiles(user.project.dir)).filter((f) => f.startsWith("supabase/migrations/")).sort();
    expect(files[0]).toBe(`supabase/migrations/${user.project.usersMigration}`);
    expect(files[1]).toMatch(/^supabase\/migrations\/\d{14}_create_qc_jobs_baseline\.sql$/);
    expect(files[1]!.slice(20, 34) > user.project.usersMigration.slice(0, 14)).toBe(true);
    const push = await dbPush(user.db.url, { cwd: user.project.dir });
    expect(push.exitCode, push.output).toBe(0);
    const [comment] = await user.db.sql`select obj_description('public.qc_jobs'::regclass, 'pg_class') as text`;
    expect(comment!.text).toMatch(/^Background jobs\. Baseline created by the reliability kit/);
    const verified = await ops(user.db.url, ["verify", "--project", user.project.dir]);
    expect(verified.code, verified.output).toBe(0);
  });

  it("--job-status does not apply where the kit creates its own qc_jobs", async () => {
    const other = await scratchProject("select 1;\n");
    try {
      const result = await kitAdd(["--project", other.dir, "--job-status", "pending=queued", "--yes"]);
      expect(result.code).toBe(1);
      expect(result.output).toContain("there is no qc_jobs: the kit creates its own");
    } finally {
      other.remove();
    }
  });

  it("a function file of the project's own under the kit's paths is never overwritten", async () => {
    const other = await scratchProject("select 1;\n");
    try {
      mkdirSync(path.join(other.dir, "supabase", "functions", "_shared"), { recursive: true });
      writeFileSync(path.join(other.dir, "supabase", "functions", "_shared", "rollout.ts"), "export const mine = true;\n");
      const before = projectFiles(other.dir);
      const result = await kitAdd(["--project", other.dir, "--yes"]);
      expect(result.output).toContain("REFUSED: supabase/functions/_shared/rollout.ts exists and is not the kit's");
      expect(result.code).toBe(1);
      expect(projectFiles(other.dir)).toEqual(before);
    } finally {
      other.remove();
    }
  });
});

describe("which project folder ops commands read", () => {
  const empty = mkdtempSync(path.join(tmpdir(), "rrk-no-project-"));
  const withSupabase = mkdtempSync(path.join(tmpdir(), "rrk-project-"));
  mkdirSync(path.join(withSupabase, "supabase", "migrations"), { recursive: true });
  afterAll(() => {
    rmSync(empty, { recursive: true, force: true });
    rmSync(withSupabase, { recursive: true, force: true });
  });

  it("--project, else the current folder when it holds supabase/, else the kit's own", () => {
    expect(resolveProjectDir(withSupabase, { cwd: empty })).toBe(withSupabase);
    expect(resolveProjectDir(undefined, { cwd: withSupabase })).toBe(withSupabase);
    expect(resolveProjectDir(undefined, { cwd: empty })).toBe(PROJECT_ROOT);
    expect(() => resolveProjectDir(empty, { cwd: withSupabase })).toThrow(`has no supabase/migrations folder`);
  });

  it("a --project without supabase/migrations is a configuration error (exit 2)", async () => {
    const run = await ops("postgresql://postgres@127.0.0.1:1/none", ["verify", "--project", empty]);
    expect(run.output).toContain(`--project ${empty}: ${empty} has no supabase/migrations folder`);
    expect(run.code).toBe(2);
  });
});
