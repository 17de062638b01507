// RLS as the real roles (SET ROLE plus request.jwt.claims), under both grant regimes a hosted
// project can be in. The migrations grant explicitly, so the outcome must not depend on the regime.
import { beforeAll, describe, expect, it } from "vitest";
import { usePushedDatabase } from "../../support/pushed-database.ts";
import { ADMIN_CLAIMS, SELF_PROMOTED_CLAIMS, USER_CLAIMS, asRole, errorAsRole } from "../../support/as-role.ts";

const INSUFFICIENT_PRIVILEGE = "42501";

describe.each(["legacy", "explicit"] as const)("RLS with the %s grant regime", (regime) => {
  const db = usePushedDatabase({ regime });

  beforeAll(async () => {
    await db.sql`insert into public.job_dlq (job_id, job_type, payload, error_message)
                 values (gen_random_uuid(), 'email', '{"to":"a@example.com"}', 'smtp down')`;
  });

  it("the regime really differs: legacy grants new tables to anon by default, explicit does not", async () => {
    await db.sql`create table public.regime_probe (id int)`;
    const [probe] = await db.sql`select has_table_privilege('anon', 'public.regime_probe', 'select') as anon_can_read`;
    await db.sql`drop table public.regime_probe`;
    expect(probe!.anon_can_read).toBe(regime === "legacy");
  });

  it("anon can neither read job_dlq nor touch feature_flags", async () => {
    for (const statement of [
      (tx: any) => tx`select * from public.job_dlq`,
      (tx: any) => tx`select * from public.feature_flags`,
      (tx: any) => tx`update public.feature_flags set enabled = true`,
      (tx: any) => tx`select * from public.feature_flag_audit`,
    ]) {
      const error = await errorAsRole(db.sql, "anon", {}, statement);
      expect(error?.code).toBe(INSUFFICIENT_PRIVILEGE);
    }
  });

  it("a signed-in user without the admin claim sees no job_dlq rows (RLS, not a missing grant)", async () => {
    const rows = await asRole(db.sql, "authenticated", USER_CLAIMS, (tx) => tx`select id from public.job_dlq`);
    expect(rows).toHaveLength(0);
  });

  it("admin in user_metadata (user-editable) does not count", async () => {
    const rows = await asRole(db.sql, "authenticated", SELF_PROMOTED_CLAIMS, (tx) => tx`select id from public.job_dlq`);
    expect(rows).toHaveLength(0);
  });

  it("a non-admin user can neither read nor write feature_flags", async () => {
    const read = await errorAsRole(db.sql, "authenticated", USER_CLAIMS, (tx) => tx`select * from public.feature_flags`);
    const write = await errorAsRole(db.sql, "authenticated", ADMIN_CLAIMS, (tx) => tx`update public.feature_flags set enabled = true`);
    expect(read?.code).toBe(INSUFFICIENT_PRIVILEGE);
    expect(write?.code).toBe(INSUFFICIENT_PRIVILEGE);
  });

  it("an admin user reads job_dlq, but cannot change it directly (the audited functions do), insert or delete", async () => {
    const rows = await asRole(db.sql, "authenticated", ADMIN_CLAIMS, (tx) => tx`select job_type, payload from public.job_dlq`);
    expect(rows).toEqual([{ job_type: "email", payload: { to: "a@example.com" } }]);
    const review = await errorAsRole(db.sql, "authenticated", ADMIN_CLAIMS, (tx) =>
      tx`update public.job_dlq set review_status = 'retrying', resolved_by = 'someone-else' returning id`);
    expect(review?.code).toBe(INSUFFICIENT_PRIVILEGE);
    const insert = await errorAsRole(db.sql, "authenticated", ADMIN_CLAIMS, (tx) =>
      tx`insert into public.job_dlq (job_id, job_type, payload) values (gen_random_uuid(), 'x', '{}')`);
    expect(insert?.code).toBe(INSUFFICIENT_PRIVILEGE);
    const del = await errorAsRole(db.sql, "authenticated", ADMIN_CLAIMS, (tx) => tx`delete from public.job_dlq`);
    expect(del?.code).toBe(INSUFFICIENT_PRIVILEGE);
  });

  it("service_role reads job_dlq and writes feature_flags", async () => {
    const result = await asRole(db.sql, "service_role", {}, async (tx) => {
      const entries = await tx`select id from public.job_dlq`;
      const updated = await tx`update public.feature_flags set enabled = true where key = 'DLQ_ENABLED' returning key`;
      return { entries: entries.length, updated: updated.length };
    });
    expect(result).toEqual({ entries: 1, updated: 1 });
  });

  it("the effective grants on our objects are exactly the migrations' explicit grants", async () => {
    const tables = await db.sql`
      select c.relname || ' ' || r.rolname || ':' ||
             concat_ws(',', case when has_table_privilege(r.rolname, c.oid, 'select') then 'select' end,
                            case when has_table_privilege(r.rolname, c.oid, 'insert') then 'insert' end,
                            case when has_any_column_privilege(r.rolname, c.oid, 'update') then 'update' end,
                            case when has_table_privilege(r.rolname, c.oid, 'delete') then 'delete' end) as grant
      from pg_class c cross join (values ('anon'), ('authenticated'), ('service_role')) as r(rolname)
      where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
      order by 1`;
    expect(tables.map((row) => row.grant as string).sort()).toEqual([
      "feature_flag_audit anon:",
      "feature_flag_audit authenticated:",
      "feature_flag_audit service_role:select,insert",
      "feature_flags anon:",
      "feature_flags authenticated:",
      "feature_flags service_role:select,insert,update,delete",
      "job_dlq anon:",
      "job_dlq authenticated:select",
      "job_dlq service_role:select,insert,update,delete",
      "job_dlq_actions anon:",
      "job_dlq_actions authenticated:",
      "job_dlq_actions service_role:select,insert",
      "job_events anon:",
      "job_events authenticated:",
      "job_events service_role:select,insert",
      "job_type_settings anon:",
      "job_type_settings authenticated:",
      "job_type_settings service_role:select,insert,update,delete",
      "qc_jobs anon:",
      "qc_jobs authenticated:",
      "qc_jobs service_role:select,insert,update,delete",
      "rollout_events anon:",
      "rollout_events authenticated:",
      "rollout_events service_role:select,insert",
      "rollout_plans anon:",
      "rollout_plans authenticated:",
      "rollout_plans service_role:select,insert,update,delete",
    ]);
    const functions = await db.sql`
      select p.proname || ' ' || string_agg(r.rolname, ',' order by r.rolname) as grant
      from pg_proc p cross join (values ('anon'), ('authenticated'), ('service_role')) as r(rolname)
      where p.pronamespace = 'public'::regnamespace and has_function_privilege(r.rolname, p.oid, 'execute')
      group by p.proname order by 1`;
    expect(functions.map((row) => row.grant as string).sort()).toEqual([
      "claim_jobs service_role",
      "complete_job service_role",
      "dlq_discard_entry service_role",
      "dlq_redrive service_role",
      "dlq_retry_entry service_role",
      "fail_job service_role",
      "fail_job_for_good service_role",
      "feature_flag_actor service_role",
      "flag_bucket anon,authenticated,service_role",
      "flag_enabled service_role",
      "heartbeat_job service_role",
      "job_flag_subject service_role",
      "job_max_run_time service_role",
      "job_subject service_role",
      "list_running_jobs service_role",
      "reclaim_stale_jobs service_role",
      "release_job service_role",
      "requeue_dead_letter service_role",
      "requeue_stuck_jobs service_role",
      "rescue_running_job service_role",
      "rollout_cohort service_role",
      "rollout_compare service_role",
      "rollout_decide service_role",
      "rollout_normal_upper_tail service_role",
      "rollout_plan_signals service_role",
      "rollout_plan_status service_role",
      "rollout_runtime_percentiles service_role",
      "rollout_signal_counts service_role",
      "rollout_steps_are_valid service_role",
      "rollout_tick service_role",
      "session_actor service_role",
    ]);
  });
});
