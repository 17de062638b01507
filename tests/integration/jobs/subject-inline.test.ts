// The watchdog and heartbeat_job write the flag subject inline (migration 20261202160000,
// {{job_subject_expression}}) instead of calling public.job_flag_subject per job: the inline
// expression must give exactly the function's subject, for every shape of qc_jobs the kit adopts
// (uuid, bigint, integer and text ids; no tenant column, or one of type text, bigint or uuid; null
// and empty tenants). Each shape's job_flag_subject is the one its migrations install: the
// function's definition rendered from its template for that shape.
import { describe, expect, it } from "vitest";
import { DEFAULT_JOB_SHAPE, type JobIdType, type JobShape } from "../../../scripts/kit/job-shape.ts";
import { listKitMigrations } from "../../../scripts/kit/kit-files.ts";
import { renderTemplate } from "../../../scripts/kit/render-template.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const db = usePushedDatabase();

const ROWS = 60;

/** Job n's id, by id type: negative and large numbers, and text ids that look like neither. */
const ID_VALUES: Record<JobIdType, string> = {
  uuid: "md5('job-' || n)::uuid",
  bigint: "(case when n % 2 = 0 then -n else n * 10000000000 end)",
  integer: "(case when n % 2 = 0 then -n else n * 1000 end)",
  text: "(case when n % 3 = 0 then 'Job ' || n else 'job-' || n end)",
};

/** Job n's tenant, by the tenant column's type: every third null, some shared by several jobs. */
const TENANT_VALUES = {
  text: "(case n % 4 when 0 then null when 1 then '' else 'tenant-' || (n % 7) end)",
  bigint: "(case n % 3 when 0 then null when 1 then -(n % 5) else n % 5 end)",
  uuid: "(case when n % 3 = 0 then null else md5('tenant-' || (n % 7))::uuid end)",
} as const;
type TenantType = keyof typeof TENANT_VALUES;

interface Case {
  idType: JobIdType;
  tenant: TenantType | null;
}

const CASES: Case[] = (["uuid", "bigint", "integer", "text"] as const).flatMap((idType) =>
  ([null, "text", "bigint", "uuid"] as const).map((tenant) => ({ idType, tenant })),
);

function shapeOf(c: Case): JobShape {
  return { ...DEFAULT_JOB_SHAPE, jobIdType: c.idType, tenantColumn: c.tenant === null ? null : "org_id", tenantColumnIsText: c.tenant === "text" };
}

/** public.job_flag_subject as the shape's create_job_worker_rpcs migration defines it. */
function jobFlagSubjectDefinition(shape: JobShape): string {
  const migration = listKitMigrations().find((m) => m.slug === "create_job_worker_rpcs")!;
  const rendered = renderTemplate(migration.files.migrations.source, shape, migration.files.migrations.templatePath!);
  const definition = /create or replace function public\.job_flag_subject\([\s\S]*?\n\$\$;/.exec(rendered);
  if (!definition) throw new Error("public.job_flag_subject's definition was not found in create_job_worker_rpcs");
  return definition[0];
}

describe("the inline flag subject is public.job_flag_subject's", () => {
  it.each(CASES)("ids $idType, tenant column $tenant", async (c) => {
    const shape = shapeOf(c);
    const inline = renderTemplate("{{job_subject_expression:q}}", shape);
    const byFunction = renderTemplate("{{job_subject:q}}", shape);
    expect(inline).not.toContain("job_flag_subject");

    await db.sql.unsafe(jobFlagSubjectDefinition(shape));
    await db.sql.unsafe(`drop table if exists public.subject_shape_jobs`);
    await db.sql.unsafe(`create table public.subject_shape_jobs (id ${c.idType} primary key${c.tenant ? `, org_id ${c.tenant}` : ""})`);
    await db.sql.unsafe(`
      insert into public.subject_shape_jobs (id${c.tenant ? ", org_id" : ""})
      select ${ID_VALUES[c.idType]}${c.tenant ? `, ${TENANT_VALUES[c.tenant]}` : ""} from generate_series(1, ${ROWS}) as n`);

    const rows = await db.sql.unsafe(`
      select q.id::text as id, ${c.tenant ? "q.org_id::text" : "null"} as tenant, ${inline} as inline, ${byFunction} as by_function
      from public.subject_shape_jobs q order by q.id`);
    await db.sql.unsafe(`drop table public.subject_shape_jobs`);

    expect(rows).toHaveLength(ROWS);
    for (const row of rows) expect(row.inline, `job ${row.id}, tenant ${row.tenant}`).toBe(row.by_function);
    // Both kinds of subject occur: the tenant's where there is one, the job's id where not.
    const byTenant = rows.filter((row) => row.tenant !== null);
    for (const row of byTenant) expect(row.inline).toBe(row.tenant);
    for (const row of rows.filter((r) => r.tenant === null)) expect(row.inline).toBe(row.id);
    expect(byTenant.length > 0).toBe(c.tenant !== null);
  });
});
