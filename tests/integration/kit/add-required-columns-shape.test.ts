// Adoption by a project whose qc_jobs has NOT NULL columns of its own without a default: an
// account foreign key and a tenant column the app always fills. The kit's verification checks
// that insert jobs cannot fill them (no value of the right type satisfies a foreign key), so they
// end as skipped, naming the columns, and every other check passes; the job lifecycle runs on the
// app's own inserts.
import { expect, it } from "vitest";
import { listKitMigrations } from "../../../scripts/kit/kit-files.ts";
import { describeAdoption } from "../../support/adoption-scenario.ts";
import { ops } from "../../support/ops-runner.ts";

/** The kit's verification checks that insert jobs: each begins with the placeholder that skips it here. */
const checksInsertingJobs = listKitMigrations()
  .map((migration) => migration.files.verify.source.split("{{skip_unless_jobs_insertable}}").length - 1)
  .reduce((sum, n) => sum + n, 0);

describeAdoption("adopting: NOT NULL columns of the app's own without a default (a foreign key, a tenant)", {
  usersMigration: `
create table public.accounts (
  id uuid primary key default gen_random_uuid(),
  name text not null
);
alter table public.accounts enable row level security;
insert into public.accounts (id, name) values ('00000000-0000-0000-0000-00000000000a', 'acme');
create table public.qc_jobs (
  id uuid primary key default gen_random_uuid(),
  account_id uuid not null references public.accounts (id),
  tenant_id text not null,
  job_type text not null,
  status text not null default 'pending'
         check (status in ('pending', 'running', 'completed', 'failed', 'cancelled')),
  payload jsonb not null default '{}',
  attempts integer not null default 0,
  max_attempts integer not null default 3,
  created_at timestamptz not null default now()
);
create index qc_jobs_status_idx on public.qc_jobs (status);
alter table public.qc_jobs enable row level security;
grant select, insert, update, delete on public.qc_jobs to service_role;
`,
  seed: `insert into public.qc_jobs (account_id, tenant_id, job_type, status)
         select '00000000-0000-0000-0000-00000000000a', 'tenant-' || n, 'report', (array['pending', 'completed'])[1 + n % 2]
         from generate_series(1, 4) as n`,
  userColumns: ["id", "account_id", "tenant_id", "job_type", "status", "payload", "attempts", "max_attempts", "created_at"],
  kitFlags: [],
  tenantColumn: "tenant_id",
  idType: "uuid",
  words: { pending: "pending", running: "running", completed: "completed", failed: "failed" },
  added: ["locked_by", "run_after", "started_at", "finished_at", "last_error", "updated_at"],
  buildsClaimIndex: false,
  async newJob(sql, jobType) {
    const [row] = await sql`
      insert into public.qc_jobs (account_id, tenant_id, job_type)
      values ('00000000-0000-0000-0000-00000000000a', 'tenant-x', ${jobType}) returning id::text as id`;
    return row!.id as string;
  },
}, (adoption) => {
  it("ops verify skips the checks that insert jobs, naming the columns, and passes the rest", async () => {
    const run = await ops(adoption.db.url, ["verify", "--project", adoption.project.dir]);
    expect(run.code, run.output).toBe(0);
    const skips = run.output.split("\n").filter((line) => line.startsWith("  skip  "));
    expect(checksInsertingJobs).toBeGreaterThan(0);
    expect(skips, run.output).toHaveLength(checksInsertingJobs);
    for (const skip of skips) {
      expect(skip).toContain(": qc_jobs.account_id, qc_jobs.tenant_id: NOT NULL without a default, which this check cannot fill in the rows it inserts; skipped");
    }
    expect(run.output).toMatch(new RegExp(`\\d+ check\\(s\\) passed, 0 failed, ${checksInsertingJobs} skipped \\(they could not run on this qc_jobs; see above\\)\\.`));
  });
});
