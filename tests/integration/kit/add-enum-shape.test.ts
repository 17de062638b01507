// Adoption by a project whose qc_jobs has text ids the app gives itself (no default), a Postgres
// enum status with its own labels and no default, and a uuid tenant column; and the adopted
// project serving flags from its own supabase/functions/feature-flags under `deno serve`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { freePort } from "../../../scripts/local/embedded-postgres.ts";
import { startFunctionServer, type FunctionServer } from "../../../scripts/local/function-server.ts";
import { authEnvironment, generateLocalKeys } from "../../../scripts/local/local-keys.ts";
import { describeAdoption } from "../../support/adoption-scenario.ts";

describeAdoption("adopting: text ids without default, an enum status, a uuid tenant column", {
  usersMigration: `
create type public.job_state as enum ('new', 'active', 'succeeded', 'errored', 'cancelled');
create table public.qc_jobs (
  id text primary key,
  job_type text not null,
  status public.job_state not null,
  payload jsonb not null default '{}',
  org_id uuid,
  attempts integer not null default 0,
  created_at timestamptz not null default now()
);
alter table public.qc_jobs enable row level security;
grant select, insert, update, delete on public.qc_jobs to service_role;
`,
  seed: `insert into public.qc_jobs (id, job_type, status, payload, org_id)
         select 'job-' || n, 'mail', (array['new', 'succeeded', 'errored', 'cancelled'])[1 + n % 4]::public.job_state,
                jsonb_build_object('to', n), gen_random_uuid()
         from generate_series(1, 8) as n`,
  userColumns: ["id", "job_type", "status::text as status", "payload", "org_id", "attempts", "created_at"],
  kitFlags: ["--job-status", "pending=new,running=active,completed=succeeded,failed=errored", "--tenant-column", "org_id"],
  tenantColumn: "org_id",
  idType: "text",
  words: { pending: "new", running: "active", completed: "succeeded", failed: "errored" },
  buildsClaimIndex: true,
  added: ["max_attempts", "locked_by", "run_after", "started_at", "finished_at", "last_error", "updated_at"],
  async newJob(sql, jobType) {
    const [row] = await sql`insert into public.qc_jobs (id, job_type, status, org_id)
                            values ('app-' || gen_random_uuid(), ${jobType}, 'new', gen_random_uuid()) returning id`;
    return row!.id as string;
  },
}, (adopted) => describe("the adopted project's own feature-flags function", () => {
  const keys = generateLocalKeys();
  let server: FunctionServer;

  beforeAll(async () => {
    const port = await freePort();
    server = await startFunctionServer({
      port,
      functionDir: path.join(adopted.project.dir, "supabase", "functions", "feature-flags"),
      env: { SUPABASE_DB_URL: adopted.db.url, ...authEnvironment(keys, `http://127.0.0.1:${port}`) },
      readyTimeoutMs: 240_000,
    });
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("serves the project's flags under deno serve, from supabase/functions/feature-flags", async () => {
    await adopted.db.sql`update public.feature_flags set enabled = true, rollout_percentage = 100 where key = 'DLQ_ENABLED'`;
    const response = await fetch(`${server.functionUrl}/DLQ_ENABLED?subject=tenant-1`, { headers: { apikey: keys.publishableKey } });
    const body = await response.json();
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ key: "DLQ_ENABLED", value: true });
    const health = await fetch(`${server.functionUrl}/health`, { headers: { apikey: keys.secretKey } });
    expect(await health.json()).toMatchObject({ status: "ok", database: { reachable: true } });
  });
}));
