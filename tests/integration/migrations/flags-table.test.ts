// The flags table as the dashboard's table editor sees it: bad values are refused with a message
// that says what is wrong, and every change writes one audit row naming who made it.
import { describe, expect, it } from "vitest";
import { usePushedDatabase } from "../../support/pushed-database.ts";
import { asRole } from "../../support/as-role.ts";

const db = usePushedDatabase();

async function refusal(statement: Promise<unknown>): Promise<string> {
  try {
    await statement;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the statement was accepted");
}

describe("feature_flags constraints", () => {
  it("seeds DLQ_ENABLED and JOB_HEARTBEAT off at 0 %, bucketed by their own key", async () => {
    const flags = await db.sql`select key, enabled, rollout_percentage::text, bucket_group from public.feature_flags order by key`;
    expect(flags).toEqual([
      { key: "DLQ_ENABLED", enabled: false, rollout_percentage: "0", bucket_group: "DLQ_ENABLED" },
      { key: "JOB_HEARTBEAT", enabled: false, rollout_percentage: "0", bucket_group: "JOB_HEARTBEAT" },
    ]);
  });

  it.each([
    ["120", "rollout_percentage_must_be_between_0_and_100"],
    ["-1", "rollout_percentage_must_be_between_0_and_100"],
    ["5.001", "rollout_percentage_must_be_in_steps_of_0_01"],
  ])("refuses rollout_percentage %s", async (value, constraint) => {
    const message = await refusal(db.sql`update public.feature_flags set rollout_percentage = ${value}::numeric where key = 'DLQ_ENABLED'`);
    expect(message).toContain(constraint);
    const [flag] = await db.sql`select rollout_percentage::text from public.feature_flags where key = 'DLQ_ENABLED'`;
    expect(flag!.rollout_percentage).toBe("0");
  });

  it("accepts 0.01 steps and the bounds", async () => {
    for (const value of ["0", "0.01", "5", "99.99", "100"]) {
      await db.sql`update public.feature_flags set rollout_percentage = ${value}::numeric where key = 'JOB_HEARTBEAT'`;
    }
    const [flag] = await db.sql`select rollout_percentage::text from public.feature_flags where key = 'JOB_HEARTBEAT'`;
    expect(flag!.rollout_percentage).toBe("100");
  });

  it.each(["dlq_enabled", "1FLAG", "WITH-DASH", "", "A".repeat(65), "SPACE KEY"])("refuses the malformed key %j", async (key) => {
    const message = await refusal(db.sql`insert into public.feature_flags (key) values (${key})`);
    expect(message).toContain("key_must_be_upper_snake_case_up_to_64_chars");
  });

  it("refuses a bucket group with spaces or control characters", async () => {
    const message = await refusal(db.sql`insert into public.feature_flags (key, bucket_group) values ('NEW_FLAG', 'has space')`);
    expect(message).toContain("rollout_bucket_group_must_be_1_to_64_visible_chars");
  });

  it("a new flag's bucket group defaults to its key; a shared group is kept", async () => {
    await db.sql`insert into public.feature_flags (key) values ('SOLO_FLAG')`;
    await db.sql`insert into public.feature_flags (key, bucket_group) values ('PAIRED_FLAG', 'RELIABILITY')`;
    const rows = await db.sql`select key, bucket_group from public.feature_flags where key in ('SOLO_FLAG', 'PAIRED_FLAG') order by key`;
    expect(rows).toEqual([
      { key: "PAIRED_FLAG", bucket_group: "RELIABILITY" },
      { key: "SOLO_FLAG", bucket_group: "SOLO_FLAG" },
    ]);
  });
});

describe("feature_flag_audit", () => {
  async function auditCount(): Promise<number> {
    const [row] = await db.sql`select count(*)::int as n from public.feature_flag_audit`;
    return row!.n;
  }

  it("a refused change writes no audit row", async () => {
    const before = await auditCount();
    await refusal(db.sql`update public.feature_flags set rollout_percentage = 101 where key = 'DLQ_ENABLED'`);
    expect(await auditCount()).toBe(before);
  });

  it("an update by the dashboard's owner role is recorded with that role, old and new rows", async () => {
    const before = await auditCount();
    await db.sql`update public.feature_flags set enabled = true, rollout_percentage = 5 where key = 'DLQ_ENABLED'`;
    expect(await auditCount()).toBe(before + 1);
    const [entry] = await db.sql`select operation, actor, db_role, old_row->>'enabled' as was, new_row->>'enabled' as now,
                                        new_row->>'rollout_percentage' as pct
                                 from public.feature_flag_audit order by id desc limit 1`;
    expect(entry).toEqual({ operation: "UPDATE", actor: "postgres", db_role: "postgres", was: "false", now: "true", pct: "5" });
    const [flag] = await db.sql`select updated_by from public.feature_flags where key = 'DLQ_ENABLED'`;
    expect(flag!.updated_by).toBe("postgres");
  });

  it("a change made with a JWT is recorded with the JWT's subject", async () => {
    const subject = "6f1c0f4e-3d2b-4a59-8e7f-0123456789ab";
    const actor = await asRole(db.sql, "service_role", { sub: subject }, async (tx) => {
      await tx`update public.feature_flags set enabled = false where key = 'DLQ_ENABLED'`;
      const [entry] = await tx`select actor, db_role from public.feature_flag_audit order by id desc limit 1`;
      return entry;
    });
    expect(actor).toEqual({ actor: subject, db_role: "service_role" });
  });

  it("an operator named in audit.actor is recorded when there is no JWT", async () => {
    await db.sql.begin(async (tx) => {
      await tx`select set_config('audit.actor', 'ops:alice', true)`;
      await tx`update public.feature_flags set description = 'Dead-letter queue' where key = 'DLQ_ENABLED'`;
    });
    const [entry] = await db.sql`select actor from public.feature_flag_audit order by id desc limit 1`;
    expect(entry!.actor).toBe("ops:alice");
  });

  it("insert and delete are audited too, one row each", async () => {
    const before = await auditCount();
    await db.sql`insert into public.feature_flags (key) values ('SHORT_LIVED')`;
    await db.sql`delete from public.feature_flags where key = 'SHORT_LIVED'`;
    const entries = await db.sql`select operation, old_row is null as no_old, new_row is null as no_new
                                 from public.feature_flag_audit where flag_key = 'SHORT_LIVED' order by id`;
    expect(await auditCount()).toBe(before + 2);
    expect(entries).toEqual([
      { operation: "INSERT", no_old: true, no_new: false },
      { operation: "DELETE", no_old: false, no_new: true },
    ]);
  });
});
