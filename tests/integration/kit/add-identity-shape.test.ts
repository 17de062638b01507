// Adoption by a project whose qc_jobs has a `bigint generated always as identity` id, a status
// CHECK with its own words (queued, working, done, dead: no cancelled state) and none of the
// kit's tenant, attempt or lock columns; and tables kit add must refuse, before writing anything.
import { describe, expect, it } from "vitest";
import { describeAdoption } from "../../support/adoption-scenario.ts";
import { kitAdd, projectFiles, useUserProject } from "../../support/adoption.ts";
import { ops } from "../../support/ops-runner.ts";

const JOB_STATUS = "--job-status=pending=queued,running=working,completed=done,failed=dead";

describeAdoption("adopting: bigint identity ids, a CHECK of other words, no tenant/attempt/lock columns", {
  usersMigration: `
create table public.qc_jobs (
  id bigint generated always as identity primary key,
  job_type text not null,
  status text not null default 'queued' constraint qc_jobs_status_known check (status in ('queued', 'working', 'done', 'dead')),
  payload jsonb not null default '{}',
  created_at timestamptz not null default now()
);
alter table public.qc_jobs enable row level security;
grant select, insert, update, delete on public.qc_jobs to service_role;
`,
  seed: `insert into public.qc_jobs (job_type, status, payload)
         select 'import', (array['queued', 'done', 'dead'])[1 + n % 3], jsonb_build_object('file', 'f' || n)
         from generate_series(1, 6) as n`,
  userColumns: ["id", "job_type", "status", "payload", "created_at"],
  kitFlags: [JOB_STATUS],
  tenantColumn: null,
  idType: "bigint",
  words: { pending: "queued", running: "working", completed: "done", failed: "dead" },
  buildsClaimIndex: true,
  added: ["attempts", "max_attempts", "locked_by", "run_after", "started_at", "finished_at", "last_error", "updated_at"],
  async newJob(sql, jobType) {
    const [row] = await sql`insert into public.qc_jobs (job_type) values (${jobType}) returning id::text as id`;
    return row!.id as string;
  },
}, (adopted) => {
  it("ops verify fails, naming the grant, while service_role may not update and delete qc_jobs", async () => {
    await adopted.db.sql`revoke update, delete on public.qc_jobs from service_role`;
    try {
      const run = await ops(adopted.db.url, ["verify", "--project", adopted.project.dir]);
      expect(run.output).toContain("FAIL  service_role may not update, delete public.qc_jobs: grant select, insert, update, delete on public.qc_jobs to service_role;");
      expect(run.code, run.output).toBe(1);
    } finally {
      await adopted.db.sql`grant update, delete on public.qc_jobs to service_role`;
    }
    const granted = await ops(adopted.db.url, ["verify", "--project", adopted.project.dir]);
    expect(granted.output).toContain("ok    service_role may select, insert, update and delete public.qc_jobs");
  });
});

describe("kit add refuses a qc_jobs it cannot work with, before writing any file", () => {
  const user = useUserProject("create table public.qc_jobs (job_key uuid primary key, status text not null);", { push: false });

  async function refusal(table: string, flags: string[] = []): Promise<string> {
    await user.db.sql.unsafe(`drop table if exists public.qc_jobs; drop type if exists job_state; ${table}`);
    const before = projectFiles(user.project.dir);
    const result = await kitAdd(["--project", user.project.dir, "--db-url", user.db.url, ...flags, "--yes"]);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain("Nothing was written.");
    expect(projectFiles(user.project.dir)).toEqual(before);
    return result.output;
  }

  it("no id column", async () => {
    expect(await refusal("create table public.qc_jobs (job_key uuid primary key, status text not null)")).toContain("REFUSED: qc_jobs has no id column");
  });

  it("no status column", async () => {
    expect(await refusal("create table public.qc_jobs (id bigint primary key, state text)")).toContain("REFUSED: qc_jobs has no status column");
  });

  it("status words it cannot map, naming the table's words and the flag", async () => {
    const output = await refusal("create table public.qc_jobs (id bigint primary key, status text check (status in ('queued', 'working', 'done', 'dead')))");
    expect(output).toContain("qc_jobs.status allows queued, working, done, dead: which of them means pending, running, completed, failed?");
    expect(output).toContain("--job-status pending=<word>");
  });

  it("a --job-status word the table does not allow", async () => {
    const output = await refusal("create table public.qc_jobs (id bigint primary key, status text check (status in ('queued', 'working', 'done', 'dead')))", ["--job-status", "pending=queued,running=busy,completed=done,failed=dead"]);
    expect(output).toContain("--job-status running=busy: qc_jobs.status allows only queued, working, done, dead");
  });

  it("an id of another type, and a kit column the kit cannot use", async () => {
    expect(await refusal("create table public.qc_jobs (id numeric primary key, status text)")).toContain("qc_jobs.id is numeric: the kit supports uuid, bigint, integer, text");
    expect(await refusal("create table public.qc_jobs (id uuid primary key, status text, attempts text)")).toContain("qc_jobs.attempts is text: the kit uses it as integer or smallint or bigint");
  });

  it("several tenant-like columns: asks which one", async () => {
    expect(await refusal("create table public.qc_jobs (id uuid primary key, status text, org_id uuid)")).toContain("Pass --tenant-column org_id or --tenant-column none");
  });

  it("status words and a tenant column both unanswered: asks both in one run", async () => {
    const output = await refusal("create table public.qc_jobs (id text primary key, status text check (status in ('queued', 'working', 'done', 'dead')), account_id bigint not null)");
    expect(output).toContain("REFUSED: 2 answers needed:\n  - qc_jobs.status allows queued, working, done, dead: which of them means pending, running, completed, failed?");
    expect(output).toContain("\n  - qc_jobs has account_id: should feature flags bucket a job by it (a tenant");
    expect(output).toContain("Pass --tenant-column account_id or --tenant-column none");
  });

  it("a qc_jobs service_role may only read: a note names the privileges it lacks and the grant", async () => {
    await user.db.sql.unsafe("drop table if exists public.qc_jobs; create table public.qc_jobs (id uuid primary key, status text); grant select on public.qc_jobs to service_role");
    const result = await kitAdd(["--project", user.project.dir, "--db-url", user.db.url, "--dry-run"]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain("note: service_role may not insert, update, delete qc_jobs");
    expect(result.output).toContain("grant select, insert, update, delete on public.qc_jobs to service_role;");
  });

  it("a project without supabase/config.toml", async () => {
    const result = await kitAdd(["--project", "/nonexistent-project", "--yes"]);
    expect(result.code).toBe(1);
    expect(result.output).toContain("has no supabase/config.toml: run `npx supabase init` there first");
  });
});
