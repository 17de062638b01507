// Adoption by a project whose qc_jobs has the kit's own shape (uuid ids, the kit's status words,
// tenant_id) but not every column the kit's RPCs use (no run_after), plus a column, a read policy
// and an index on status of its own (so kit add builds no claim index). kit add needs no answer:
// the words and the tenant column are the kit's.
import { describeAdoption } from "../../support/adoption-scenario.ts";

describeAdoption("adopting: uuid ids, the kit's status words, tenant_id", {
  usersMigration: `
create table public.qc_jobs (
  id uuid primary key default gen_random_uuid(),
  job_type text not null,
  status text not null default 'pending'
         check (status in ('pending', 'running', 'completed', 'failed', 'cancelled')),
  payload jsonb not null default '{}',
  attempts integer not null default 0,
  max_attempts integer not null default 5,
  tenant_id text,
  locked_by text,
  started_at timestamptz,
  finished_at timestamptz,
  last_error text,
  priority integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index qc_jobs_status_created_at_idx on public.qc_jobs (status, created_at);
alter table public.qc_jobs enable row level security;
create policy qc_jobs_owner_reads on public.qc_jobs for select to authenticated using (tenant_id = (select auth.uid())::text);
grant select on public.qc_jobs to authenticated;
-- The app's workers use the secret key: the kit's RPCs run with their privileges.
grant select, insert, update, delete on public.qc_jobs to service_role;
`,
  seed: `insert into public.qc_jobs (job_type, status, payload, tenant_id, priority)
         select 'report', (array['pending', 'completed', 'failed', 'cancelled'])[1 + n % 4], jsonb_build_object('n', n), 'tenant-' || n, n
         from generate_series(1, 8) as n`,
  userColumns: ["id", "job_type", "status", "payload", "attempts", "max_attempts", "tenant_id", "priority", "created_at", "updated_at"],
  kitFlags: [],
  idType: "uuid",
  words: { pending: "pending", running: "running", completed: "completed", failed: "failed" },
  added: ["run_after"],
  buildsClaimIndex: false,
  async newJob(sql, jobType) {
    const [row] = await sql`insert into public.qc_jobs (job_type, tenant_id) values (${jobType}, 'tenant-x') returning id::text as id`;
    return row!.id as string;
  },
});
