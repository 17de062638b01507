// The whole adoption of the kit by a project with its own qc_jobs, one shape per test file:
// `supabase init`, the user's migration pushed and jobs in it, `kit add` (dry run first), the CLI's
// dry run, push without --include-all, the user's rows, policies and grants unchanged, the job
// lifecycle on the user's table in the user's words, ops verify from the project, advisors clean,
// a second `kit add` that changes nothing, and the whole history replayed onto an empty database.
import { beforeAll, describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import path from "node:path";
import type { Sql } from "../../scripts/shared/database.ts";
import { dbAdvisors, dbPush } from "../../scripts/shared/supabase-cli.ts";
import { setSettledFlag } from "./flags.ts";
import { accessOf, kitAdd, projectFiles, useUserProject, type UserProject } from "./adoption.ts";
import { createJobWorker } from "../../client/index.ts";
import { asRole } from "./as-role.ts";
import { ops } from "./ops-runner.ts";
import { createTestDatabase } from "./test-database.ts";

export interface AdoptionSpec {
  /** The user's migration: qc_jobs (and anything it needs), with RLS on. */
  usersMigration: string;
  /** Jobs the user already has (SQL). */
  seed: string;
  /** The user's own columns, compared row by row before and after adoption. */
  userColumns: string[];
  kitFlags: string[];
  idType: "uuid" | "bigint" | "text";
  words: { pending: string; running: string; completed: string; failed: string };
  /** The columns kit add says it adds. */
  added: string[];
  /** Whether kit add builds qc_jobs_status_run_after_idx (no index of the table leads with status). */
  buildsClaimIndex: boolean;
  /** The column a job's flag subject comes from (kit add's --tenant-column), or null: the job's id. */
  tenantColumn: string | null;
  /** Inserts one job the way the user's app does; returns its id as text. */
  newJob(sql: Sql, jobType: string): Promise<string>;
}

export type Adoption = UserProject;

/** Declares the scenario's tests; `more` declares a file's own tests on the adopted project, inside it. */
export function describeAdoption(title: string, spec: AdoptionSpec, more?: (adoption: Adoption) => void): void {
  let rowsBefore: unknown[];
  let accessBefore: unknown;
  const userColumns = spec.userColumns.join(", ");
  const id = (n: number) => `$${n}::${spec.idType}`;

  describe(title, () => {
    const state = useUserProject(spec.usersMigration);
    beforeAll(async () => {
      await state.db.sql.unsafe(spec.seed);
      rowsBefore = await state.db.sql.unsafe(`select ${userColumns} from public.qc_jobs order by id`);
      accessBefore = await accessOf(state.db.sql);
    });

    it("kit add --dry-run lists every file it would write and writes none", async () => {
      const before = projectFiles(state.project.dir);
      const result = await kitAdd(["--project", state.project.dir, "--db-url", state.db.url, ...spec.kitFlags, "--dry-run"]);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain("Dry run: nothing written.");
      expect(result.output).toContain(`the kit adds the columns it lacks: ${spec.added.join(", ")}`);
      expect(result.output.includes("the kit builds one on (status, run_after)")).toBe(spec.buildsClaimIndex);
      expect(result.output).toMatch(/create supabase\/migrations\/\d{14}_adapt_qc_jobs\.sql/);
      expect(result.output).toContain("create supabase/functions/feature-flags/index.ts");
      expect(result.output).toContain("update supabase/config.toml");
      expect(result.output).not.toContain(state.db.url);
      expect(projectFiles(state.project.dir)).toEqual(before);
    });

    it("kit add writes the migrations after the user's, the function and one block of config.toml", async () => {
      const configBefore = projectFiles(state.project.dir)["supabase/config.toml"]!;
      const result = await kitAdd(["--project", state.project.dir, "--db-url", state.db.url, ...spec.kitFlags, "--yes"]);
      expect(result.code, result.output).toBe(0);
      const migrations = readdirSync(path.join(state.project.dir, "supabase", "migrations")).sort();
      expect(migrations[0]).toBe(state.project.usersMigration);
      expect(migrations[1]).toMatch(/_adapt_qc_jobs\.sql$/);
      expect(new Set(migrations.map((m) => m.slice(0, 14))).size).toBe(migrations.length);
      const files = projectFiles(state.project.dir);
      for (const migration of migrations.slice(1)) {
        expect(files[`supabase/rollback/${migration}`], migration).toBeDefined();
        expect(files[`supabase/verify/${migration}`], migration).toBeDefined();
      }
      expect(files["supabase/functions/_shared/rollout.ts"]).toBeDefined();
      expect(files["supabase/functions/feature-flags/deno.json"]).toBeDefined();
      const config = files["supabase/config.toml"]!;
      expect(config.startsWith(configBefore)).toBe(true);
      expect(config.slice(configBefore.length)).toMatch(/^\n\[functions\.feature-flags\]\n(#.*\n)*verify_jwt = false\n$/);
      const manifest = JSON.parse(files["supabase/reliability-kit.json"]!);
      expect(manifest.qcJobs).toBe("adapted");
      expect(manifest.shape.jobIdType).toBe(spec.idType);
      expect(Object.values(manifest.migrations).sort()).toEqual(migrations.slice(1));
    });

    it("the CLI's dry run lists exactly the kit's migrations; push applies them without --include-all", async () => {
      const kitFiles = readdirSync(path.join(state.project.dir, "supabase", "migrations")).filter((m) => m !== state.project.usersMigration);
      const dry = await dbPush(state.db.url, { cwd: state.project.dir, dryRun: true });
      expect(dry.exitCode, dry.output).toBe(0);
      expect(dry.output.match(/\d{14}_\w+\.sql/g)!.sort()).toEqual(kitFiles);
      const push = await dbPush(state.db.url, { cwd: state.project.dir });
      expect(push.exitCode, push.output).toBe(0);
      expect(push.output).not.toContain("--include-all");
      const [index] = await state.db.sql`select to_regclass('public.qc_jobs_status_run_after_idx') is not null as present`;
      expect(index!.present).toBe(spec.buildsClaimIndex);
    });

    it("the user's rows, ids and statuses, policies, grants and RLS are unchanged, row by row", async () => {
      const rowsAfter = await state.db.sql.unsafe(`select ${userColumns} from public.qc_jobs order by id`);
      expect(rowsAfter).toEqual(rowsBefore);
      expect(rowsAfter.length).toBeGreaterThan(0);
      expect(await accessOf(state.db.sql)).toEqual(accessBefore);
    });

    it("runs the job lifecycle on the user's table, in the user's words", async () => {
      const sql = state.db.sql;
      const { words } = spec;
      // The watchdog acts once the flags' last change is one threshold old: every flag on, settled.
      for (const { key } of await sql<{ key: string }[]>`select key from public.feature_flags`) await setSettledFlag(sql, key, true, 100);
      const statusOf = async (job: string) =>
        (await sql.unsafe(`select status::text as status, attempts from public.qc_jobs where id = ${id(1)}`, [job]))[0] as { status: string; attempts: number } | undefined;
      const claim = async () => (await sql`select id::text as id, status::text as status, attempts from public.claim_jobs('w1', 1, array['lifecycle'])`)[0];

      // claim, heartbeat, complete (the worker's RPCs as the worker calls them: service_role)
      const done = await spec.newJob(sql, "lifecycle");
      const asWorker = await asRole(sql, "service_role", {}, async (tx) => tx`select count(*)::int as n from public.claim_jobs('probe', 1, array['no-such-type'])`);
      expect(asWorker[0]!.n).toBe(0);
      expect(await claim()).toEqual({ id: done, status: words.running, attempts: 1 });
      const [beat] = await sql.unsafe(`select * from public.heartbeat_job(${id(1)}, 'w1', 1, interval '0 seconds')`, [done]);
      expect(beat).toEqual({ owned: true, recorded: true, reason: "recorded" });
      const [completed] = await sql.unsafe(`select public.complete_job(${id(1)}, 'w1', 1) as ok`, [done]);
      expect(completed!.ok).toBe(true);
      expect(await statusOf(done)).toEqual({ status: words.completed, attempts: 1 });
      const [afterwards] = await sql.unsafe(`select * from public.heartbeat_job(${id(1)}, 'w1')`, [done]);
      expect(afterwards).toMatchObject({ owned: false, reason: "finished" });

      // retryable failure, then permanent failure into job_dlq
      const failing = await spec.newJob(sql, "lifecycle");
      await sql.unsafe(`update public.qc_jobs set max_attempts = 2 where id = ${id(1)}`, [failing]);
      expect((await claim())!.id).toBe(failing);
      const [retry] = await sql.unsafe(`select public.fail_job(${id(1)}, 'w1', 'boom') as outcome`, [failing]);
      expect(retry!.outcome).toBe("retry_scheduled");
      expect(await statusOf(failing)).toEqual({ status: words.pending, attempts: 1 });
      expect((await claim())!.id).toBe(failing);
      const [dead] = await sql.unsafe(`select public.fail_job(${id(1)}, 'w1', 'fatal', '{"why": "test"}', false) as outcome`, [failing]);
      expect(dead!.outcome).toBe("dead_lettered");
      expect(await statusOf(failing)).toBeUndefined();
      const [entry] = await sql`select job_id::text as job_id, review_status, error_message, error_details from public.job_dlq`;
      expect(entry).toEqual({ job_id: failing, review_status: "pending", error_message: "fatal", error_details: { why: "test" } });

      // watchdog rescue of a dead worker's job
      const orphan = await spec.newJob(sql, "lifecycle");
      expect((await claim())!.id).toBe(orphan);
      await sql.unsafe(`update public.qc_jobs set started_at = now() - interval '1 hour', last_heartbeat_at = now() - interval '10 minutes' where id = ${id(1)}`, [orphan]);
      const rescued = await sql`select job_id::text as job_id, outcome from public.reclaim_stale_jobs()`;
      expect(rescued).toEqual([{ job_id: orphan, outcome: "requeued" }]);
      expect(await statusOf(orphan)).toEqual({ status: words.pending, attempts: 1 });

      // redrive puts the dead-lettered job back, same id, in the user's pending word
      const redriven = await sql`select job_id::text as job_id, outcome from public.dlq_redrive(null, null, null)`;
      expect(redriven).toEqual([{ job_id: failing, outcome: "requeued" }]);
      expect(await statusOf(failing)).toEqual({ status: words.pending, attempts: 0 });
    });

    it("the worker helper runs a job on the user's table, with the subject of the user's tenant column", async () => {
      const sql = state.db.sql;
      const job = await spec.newJob(sql, "helper");
      const subjectSql = `coalesce(${spec.tenantColumn === null ? "null" : `${spec.tenantColumn}::text`}, id::text)`;
      const [expected] = await sql.unsafe(`select ${subjectSql} as subject from public.qc_jobs where id = ${id(1)}`, [job]);
      const worker = createJobWorker(sql, { workerId: "helper-w1" });
      const [claimed] = await worker.claim({ jobTypes: ["helper"] });
      expect(claimed).toMatchObject({ id: job, jobType: "helper", attempt: 1, subject: expected!.subject });
      expect(await worker.run(claimed!, async () => {})).toEqual({ kind: "completed" });
      await worker.shutdown();
      const [after] = await sql.unsafe(`select status::text as status from public.qc_jobs where id = ${id(1)}`, [job]);
      expect(after!.status).toBe(spec.words.completed);
    });

    it("ops verify --project runs the project's verification scripts and passes", async () => {
      const run = await ops(state.db.url, ["verify", "--project", state.project.dir]);
      expect(run.output).toContain(`${state.project.usersMigration}: no verification script`);
      expect(run.output).toMatch(/\d+ check\(s\) passed, 0 failed/);
      expect(Number(/(\d+) check\(s\) passed/.exec(run.output)![1])).toBeGreaterThanOrEqual(25);
      expect(run.code, run.output).toBe(0);
    });

    it("supabase db advisors --fail-on warn finds nothing at WARN or ERROR", async () => {
      const result = await dbAdvisors(state.db.url, "warn");
      const lints = (JSON.parse(result.stdout || '{"results":[]}') as { results: Array<{ level: string; name: string; detail: string }> }).results;
      expect(lints.filter((lint) => lint.level !== "INFO"), result.output).toEqual([]);
      expect(result.exitCode, result.output).toBe(0);
    });

    it("a second kit add (an upgrade with nothing new) changes nothing", async () => {
      const before = projectFiles(state.project.dir);
      const result = await kitAdd(["--project", state.project.dir, "--db-url", state.db.url, ...spec.kitFlags, "--yes"]);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain("0 file(s) to write");
      expect(result.output).toContain("No new kit migration");
      expect(projectFiles(state.project.dir)).toEqual(before);
    });

    it("the adopted project's whole history replays onto an empty database", async () => {
      const fresh = await createTestDatabase();
      try {
        const push = await dbPush(fresh.url, { cwd: state.project.dir });
        expect(push.exitCode, push.output).toBe(0);
        const run = await ops(fresh.url, ["verify", "--project", state.project.dir]);
        expect(run.code, run.output).toBe(0);
        const job = await spec.newJob(fresh.sql, "replay");
        const [claimed] = await fresh.sql`select id::text as id, status::text as status from public.claim_jobs('w1')`;
        expect(claimed).toEqual({ id: job, status: spec.words.running });
      } finally {
        await fresh.drop();
      }
    });

    more?.(state);
  });
}
