// Adoption by a project whose qc_jobs has the kit's own shape (uuid ids, the kit's status words,
// tenant_id) but not every column the kit's RPCs use (no run_after), plus a column, a read policy
// and an index on status of its own (so kit add builds no claim index). kit add needs no answer:
// the words and the tenant column are the kit's.
import { describeAdoption } from "../../support/adoption-scenario.ts";
import { KIT_SHAPED_QC_JOBS } from "../../support/adoption.ts";

describeAdoption("adopting: uuid ids, the kit's status words, tenant_id", {
  usersMigration: `${KIT_SHAPED_QC_JOBS}
alter table public.qc_jobs add constraint qc_jobs_status_check check (status in ('pending', 'running', 'completed', 'failed', 'cancelled'));
create index qc_jobs_status_created_at_idx on public.qc_jobs (status, created_at);
-- The app's workers use the secret key: the kit's RPCs run with their privileges.
grant select, insert, update, delete on public.qc_jobs to service_role;
`,
  seed: `insert into public.qc_jobs (job_type, status, payload, tenant_id, priority)
         select 'report', (array['pending', 'completed', 'failed', 'cancelled'])[1 + n % 4], jsonb_build_object('n', n), 'tenant-' || n, n
         from generate_series(1, 8) as n`,
  userColumns: ["id", "job_type", "status", "payload", "attempts", "max_attempts", "tenant_id", "priority", "created_at", "updated_at"],
  kitFlags: [],
  tenantColumn: "tenant_id",
  idType: "uuid",
  words: { pending: "pending", running: "running", completed: "completed", failed: "failed" },
  added: ["run_after"],
  buildsClaimIndex: false,
  async newJob(sql, jobType) {
    const [row] = await sql`insert into public.qc_jobs (job_type, tenant_id) values (${jobType}, 'tenant-x') returning id::text as id`;
    return row!.id as string;
  },
});
