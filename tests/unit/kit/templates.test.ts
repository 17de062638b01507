// The kit's SQL that depends on the shape of qc_jobs is written once, as a template: the kit's own
// files are those templates rendered with the kit's shape, byte for byte, and the files without a
// template name nothing of the shape (they are copied as they are into adopted projects).
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_JOB_SHAPE, parseStatusWords, validateShape, type JobShape } from "../../../scripts/kit/job-shape.ts";
import { listKitMigrations, orphanTemplates } from "../../../scripts/kit/kit-files.ts";
import { renderOwnFiles } from "../../../scripts/kit/render-own.ts";
import { renderTemplate } from "../../../scripts/kit/render-template.ts";
import { runKit } from "../../../scripts/kit/run-kit.ts";
import { PROJECT_ROOT } from "../../../scripts/shared/project-paths.ts";

const OTHER_WORDS: JobShape = {
  jobIdType: "bigint",
  jobIdDefault: "identity_always",
  status: { pending: "queued", running: "working", completed: "done", failed: "dead", cancelled: null },
  statusDefaultIsPending: false,
  tenantColumn: null,
  tenantColumnIsText: false,
};

/** The SQL of a file without its -- comments (comments may name anything). */
function code(sql: string): string {
  return sql.replace(/--.*$/gm, "");
}

describe("the kit's own files and their templates", () => {
  it("every templated kit file is its template rendered with the kit's shape, byte for byte", () => {
    const renders = renderOwnFiles();
    expect(renders.length).toBeGreaterThanOrEqual(12);
    for (const r of renders) expect(r.current, `${path.relative(PROJECT_ROOT, r.file.path)}: npm run kit -- render-own`).toBe(r.rendered);
  });

  it("every template belongs to a kit migration", () => {
    expect(orphanTemplates()).toEqual([]);
  });

  it("a kit file without a template names no job id, tenant column or qc_jobs status word", () => {
    // A job id or tenant anywhere, or a kit status word in a file that touches qc_jobs (other
    // tables may have status columns of their own).
    const jobShaped = (sql: string) =>
      /\bjob_id\b|\btenant_id\b/.test(sql) || (/\bqc_jobs\b/.test(sql) && /'(pending|running|completed|failed|cancelled)'/.test(sql));
    // The rule catches what it is for: the DLQ actions log's job_id, the watchdog's status words.
    expect(jobShaped(code(readFileSync(path.join(PROJECT_ROOT, "supabase/templates/migrations/create_job_dlq_actions.sql"), "utf8")))).toBe(true);
    expect(jobShaped(code(renderTemplate(readFileSync(path.join(PROJECT_ROOT, "supabase/templates/migrations/add_heartbeat_column.sql"), "utf8"), DEFAULT_JOB_SHAPE)))).toBe(true);
    for (const migration of listKitMigrations()) {
      // The baseline creates the kit's own table and is only written where no qc_jobs exists.
      if (migration.slug === "create_qc_jobs_baseline") continue;
      for (const file of Object.values(migration.files)) {
        if (file.templatePath !== null) continue;
        expect(jobShaped(code(file.source)), `${path.relative(PROJECT_ROOT, file.path)} depends on the shape of qc_jobs: give it a template`).toBe(false);
      }
    }
  });

  it("render-own --check passes on the kit as committed", async () => {
    let output = "";
    const exitCode = await runKit(["render-own", "--check"], { cwd: PROJECT_ROOT, write: (text) => (output += text) });
    expect(output).toContain("every templated kit file matches its template");
    expect(exitCode).toBe(0);
  });
});

describe("rendering for another shape", () => {
  const rendered = listKitMigrations().flatMap((m) =>
    Object.values(m.files).filter((f) => f.templatePath).map((f) => ({ path: f.templatePath!, sql: renderTemplate(f.source, OTHER_WORDS, f.templatePath!) })),
  );

  it("leaves no placeholder, kit status word or uuid job id behind", () => {
    for (const { path: file, sql } of rendered) {
      expect(sql, file).not.toMatch(/\{\{|\}\}/);
      expect(code(sql).replace(/review_status[^;]*/g, ""), file).not.toMatch(/\b(q|current_job|job|c)\.status\s*(=|<>)\s*'(pending|running|completed|failed)'/);
      expect(code(sql), file).not.toMatch(/\bjob_id\s+uuid\b|job_id uuid/);
    }
  });

  it("writes the table's words, its id type and the id as flag subject", () => {
    const rpcs = rendered.find((r) => r.path.endsWith("migrations/create_job_worker_rpcs.sql"))!.sql;
    expect(rpcs).toContain("where q.status = 'queued'");
    expect(rpcs).toContain("set status = 'working'");
    expect(rpcs).toContain("set status = 'done'");
    expect(rpcs).toContain("set status = 'dead'");
    expect(rpcs).toContain("when null then 'cancelled'");
    expect(rpcs).toContain("public.job_flag_subject(null, q.id)");
    expect(rpcs).toContain("select q.status, q.locked_by, q.attempts, q.id\n");
    expect(rpcs).toContain("job_flag_subject(tenant_id text, job_id bigint)");
    const inline = rendered.find((r) => r.path.endsWith("migrations/inline_job_flag_subject.sql"))!.sql;
    expect(code(inline)).toContain("public.flag_bucket(heartbeat_group, q.id::text) < heartbeat_threshold");
    expect(code(inline)).not.toContain("job_flag_subject(");
    const cohorts = rendered.find((r) => r.path.endsWith("migrations/inline_rollout_cohort.sql"))!.sql;
    expect(code(cohorts)).toContain("public.flag_bucket(rollout_signal_counts.bucket_group, q.id::text)");
    expect(code(cohorts)).toContain("public.flag_bucket(rollout_signal_counts.bucket_group, snap.id::text)");
    expect(code(cohorts)).toContain("public.flag_bucket(rollout_runtime_percentiles.bucket_group, q.id::text)");
    expect(code(cohorts)).not.toMatch(/rollout_cohort\(|job_flag_subject\(/);
    const heartbeat = rendered.find((r) => r.path.endsWith("migrations/add_heartbeat_column.sql"))!.sql;
    expect(heartbeat).toContain("where status = 'working';");
    const dlqOps = rendered.find((r) => r.path.endsWith("migrations/create_dlq_operations.sql"))!.sql;
    expect(dlqOps).toContain("insert into public.qc_jobs overriding system value\n");
    expect(dlqOps).toContain("(id, status, job_type, payload, last_error) overriding system value");
  });

  it("casts a non-text tenant column and quotes a word with a quote", () => {
    const shape: JobShape = { ...DEFAULT_JOB_SHAPE, tenantColumn: "org_id", tenantColumnIsText: false, status: { ...DEFAULT_JOB_SHAPE.status, pending: "it's new" } };
    expect(renderTemplate("{{job_subject:q}} {{job_subject_columns:j}}", shape)).toBe("public.job_flag_subject(q.org_id::text, q.id) j.org_id, j.id");
    expect(renderTemplate("{{job_subject_expression:q}}", shape)).toBe("coalesce(q.org_id::text, q.id::text)");
    expect(renderTemplate("{{job_subject_expression:q}} {{job_subject_rule}}", DEFAULT_JOB_SHAPE)).toBe("coalesce(q.tenant_id, q.id::text) coalesce(tenant_id, job_id::text)");
    expect(renderTemplate("{{status.pending}} like '%{{status_word.pending}}%'", shape)).toBe("'it''s new' like '%it''s new%'");
  });

  it("refuses an unknown or malformed placeholder, naming it", () => {
    expect(() => renderTemplate("select {{job_id_kind}}", DEFAULT_JOB_SHAPE, "t.sql")).toThrow("t.sql: unknown placeholder {{job_id_kind}}");
    expect(() => renderTemplate("{{status.paused}}", DEFAULT_JOB_SHAPE)).toThrow("must be one of pending");
    expect(() => renderTemplate("{{job_subject}}", DEFAULT_JOB_SHAPE)).toThrow("needs the job row's alias");
    expect(() => renderTemplate("{{ job_id_type }}", DEFAULT_JOB_SHAPE)).toThrow("malformed placeholder");
    expect(() => renderTemplate("{{status_word.cancelled}}", OTHER_WORDS)).toThrow("no cancelled state");
  });
});

describe("status words and shapes", () => {
  it("parses --job-status and refuses an unknown state", () => {
    expect(parseStatusWords("pending=queued, running=working,completed=done,failed=dead")).toEqual({ pending: "queued", running: "working", completed: "done", failed: "dead" });
    expect(() => parseStatusWords("paused=zzz")).toThrow("--job-status");
    expect(() => parseStatusWords("pending")).toThrow("--job-status");
  });

  it("refuses a shape with a word used twice or a missing state", () => {
    expect(() => validateShape({ ...DEFAULT_JOB_SHAPE, status: { ...DEFAULT_JOB_SHAPE.status, failed: "completed" } })).toThrow('"completed" is given for two states');
    expect(() => validateShape({ ...DEFAULT_JOB_SHAPE, status: { ...DEFAULT_JOB_SHAPE.status, running: null } })).toThrow("no status word for running");
    expect(validateShape(OTHER_WORDS)).toBe(OTHER_WORDS);
  });

  it("the kit's templates are read from supabase/templates", () => {
    const rpcs = listKitMigrations().find((m) => m.slug === "create_job_worker_rpcs")!;
    expect(rpcs.files.migrations.templatePath).toBe(path.join(PROJECT_ROOT, "supabase/templates/migrations/create_job_worker_rpcs.sql"));
    expect(readFileSync(rpcs.files.migrations.templatePath!, "utf8")).toContain("{{job_id_type}}");
  });
});
