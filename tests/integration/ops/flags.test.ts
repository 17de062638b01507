// flags and rollout against a real database: changes are validated, audited with the operator's
// name, serialized by the ops lock; promotion to production waits for 7 healthy canary days.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { connect } from "../../../scripts/shared/database.ts";
import { OPS_LOCK_KEY } from "../../../scripts/ops/transaction.ts";
import { usingServer } from "../../support/test-database.ts";
import { ops } from "../../support/ops-runner.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const db = usePushedDatabase();

async function flags(): Promise<Record<string, { enabled: boolean; pct: number }>> {
  const rows = await db.sql`select key, enabled, rollout_percentage::float8 as pct from public.feature_flags order by key`;
  return Object.fromEntries(rows.map((r) => [r.key, { enabled: r.enabled, pct: r.pct }]));
}
async function lastAudit(key: string) {
  const [row] = await db.sql`select actor, new_row from public.feature_flag_audit where flag_key = ${key} order by id desc limit 1`;
  return row!;
}
/** Moves every audit entry back in time, as if the canary had been running that long. */
async function ageAudit(days: number) {
  await db.sql`update public.feature_flag_audit set changed_at = changed_at - ${days} * interval '1 day'`;
}

describe("flags", () => {
  it("lists the flags and shows one with its audit history", async () => {
    const list = await ops(db.url, ["flags", "list"]);
    expect(list.code, list.output).toBe(0);
    expect(list.output).toMatch(/DLQ_ENABLED +false +0 +DLQ_ENABLED/);
    expect(list.output).toMatch(/JOB_HEARTBEAT +false +0 +JOB_HEARTBEAT/);
    const show = await ops(db.url, ["flags", "show", "DLQ_ENABLED"]);
    expect(show.code, show.output).toBe(0);
    expect(show.output).toContain("DLQ_ENABLED: off, bucket group DLQ_ENABLED");
    expect(show.output).toMatch(/INSERT +- → off +postgres/);
  });

  it("sets a flag in one audited transaction, recording the operator", async () => {
    const run = await ops(db.url, ["flags", "set", "DLQ_ENABLED", "--enabled", "true", "--percentage", "12.5", "--actor", "alice"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("DLQ_ENABLED is now on for 12.5 % (audited as alice).");
    expect((await flags()).DLQ_ENABLED).toEqual({ enabled: true, pct: 12.5 });
    const audit = await lastAudit("DLQ_ENABLED");
    expect(audit.actor).toBe("alice");
    expect(audit.new_row.rollout_percentage).toBe(12.5);
    const show = await ops(db.url, ["flags", "show", "DLQ_ENABLED"]);
    expect(show.output).toMatch(/UPDATE +off → on for 12\.5 % +alice/);
  });

  it("refuses invalid values and unknown flags without changing anything", async () => {
    const before = await flags();
    const bad = await ops(db.url, ["flags", "set", "DLQ_ENABLED", "--percentage", "5.001"]);
    expect(bad.code).toBe(2);
    expect(bad.output).toContain("rollout percentage must be in steps of 0.01, got 5.001");
    // The reason is not buried above the usage text: target line, reason, pointer to --help.
    expect(bad.output.trim().split("\n")).toEqual([
      expect.stringMatching(/^ops flags: target /),
      expect.stringMatching(/^ops flags: .*must be in steps of 0.01, got 5.001$/),
      "(npm run ops -- flags --help shows every option)",
    ]);
    const lower = await ops(db.url, ["flags", "set", "dlq_enabled", "--enabled", "true"]);
    expect(lower.code).toBe(2);
    expect(lower.output).toContain("must be upper snake case");
    const unknown = await ops(db.url, ["flags", "set", "NO_SUCH_FLAG", "--enabled", "true"]);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain("REFUSED: flag NO_SUCH_FLAG does not exist in public.feature_flags");
    const dry = await ops(db.url, ["flags", "set", "DLQ_ENABLED", "--percentage", "50", "--dry-run"]);
    expect(dry.code, dry.output).toBe(0);
    expect(dry.output).toContain("Dry run: DLQ_ENABLED would be on for 50 %. Nothing was changed.");
    expect(await flags()).toEqual(before);
  });
});

describe("rollout", () => {
  it("staging turns both flags on for everyone", async () => {
    const run = await ops(db.url, ["rollout", "staging"]);
    expect(run.code, run.output).toBe(0);
    expect(await flags()).toEqual({ DLQ_ENABLED: { enabled: true, pct: 100 }, JOB_HEARTBEAT: { enabled: true, pct: 100 } });
  });

  it("canary puts DLQ_ENABLED at 5 % and JOB_HEARTBEAT off", async () => {
    const run = await ops(db.url, ["rollout", "canary", "--actor", "carol"]);
    expect(run.code, run.output).toBe(0);
    expect(await flags()).toEqual({ DLQ_ENABLED: { enabled: true, pct: 5 }, JOB_HEARTBEAT: { enabled: false, pct: 0 } });
    expect((await lastAudit("DLQ_ENABLED")).actor).toBe("carol");
    expect(run.output).toContain("Next: watch job_dlq");
  });

  it("refuses promotion to production before 7 days at the canary values", async () => {
    await ageAudit(3);
    const before = await flags();
    const run = await ops(db.url, ["rollout", "production"]);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/DLQ_ENABLED has been at its canary value for 3\.0 days .*promotion needs 7/);
    expect(run.output).toContain("REFUSED: promotion to production refused");
    expect(await flags()).toEqual(before);
  });

  it("refuses promotion when the dead-letter queue grew faster than the bound", async () => {
    await ageAudit(5); // 8 days now
    await db.sql`insert into public.job_dlq (job_id, job_type, payload) select gen_random_uuid(), 'email', '{}' from generate_series(1, 100)`;
    const before = await flags();
    const run = await ops(db.url, ["rollout", "production", "--max-dlq-per-day", "10"]);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/FAIL {2}job_dlq gained 100 entries since .* \(12\.\d\d a day; bound 10 a day\)/);
    expect(await flags()).toEqual(before);
  });

  it("--force promotes anyway and the audit log records that it was forced", async () => {
    const run = await ops(db.url, ["rollout", "production", "--force", "--actor", "dave"]);
    expect(run.code, run.output).toBe(0);
    expect(await flags()).toEqual({ DLQ_ENABLED: { enabled: true, pct: 100 }, JOB_HEARTBEAT: { enabled: true, pct: 100 } });
    const audit = await lastAudit("DLQ_ENABLED");
    expect(audit.actor).toMatch(/^dave \(forced: job_dlq gained 100 entries/);
  });

  it("promotes after 7 quiet days at the canary values", async () => {
    await db.sql`delete from public.job_dlq`;
    expect((await ops(db.url, ["rollout", "canary"])).code).toBe(0);
    await ageAudit(8);
    const run = await ops(db.url, ["rollout", "production", "--actor", "erin"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/ok {4}DLQ_ENABLED has been at its canary value for 8\.0 days/);
    expect(run.output).toMatch(/ok {4}job_dlq gained 0 entries/);
    expect((await lastAudit("JOB_HEARTBEAT")).actor).toBe("erin");
    expect(await flags()).toEqual({ DLQ_ENABLED: { enabled: true, pct: 100 }, JOB_HEARTBEAT: { enabled: true, pct: 100 } });
  });

  it("refuses the staging phase on production, where it would skip the canary", async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), "rrk-flags-env-"));
    writeFileSync(path.join(cwd, ".env.production"), `DATABASE_URL=${db.url}\n`);
    const before = await flags();
    await db.sql`update public.feature_flags set enabled = false`;
    const run = await ops("postgresql://unused@127.0.0.1:1/x", ["rollout", "staging", "--env", "production"], { cwd });
    rmSync(cwd, { recursive: true, force: true });
    expect(run.code).toBe(1);
    expect(run.output).toContain("REFUSED: the staging phase turns both flags on for everyone; on --env production use `rollout canary`");
    expect(Object.values(await flags()).some((f) => f.enabled)).toBe(false);
    await db.sql`update public.feature_flags set enabled = true`;
    expect(await flags()).toEqual(before);
  });

  it("rejects an unknown phase", async () => {
    const run = await ops(db.url, ["rollout", "everyone"]);
    expect(run.code).toBe(2);
    expect(run.output).toContain("rollout takes one phase: staging, canary or production");
  });

  // PGlite is one session: a lock it holds is its own, so only a server shows a second ops run waiting.
  describe.skipIf(!usingServer)("on a server", () => {
    it("refuses while another ops run holds the ops lock", async () => {
      const other = connect(db.url);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const holding = other.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(hashtext(${OPS_LOCK_KEY}))`;
        await released;
      });
      try {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const before = await flags();
        const run = await ops(db.url, ["flags", "set", "DLQ_ENABLED", "--enabled", "false"]);
        expect(run.code).toBe(1);
        expect(run.output).toContain("another ops run holds the ops lock on this database; flags set did not start");
        expect(await flags()).toEqual(before);
      } finally {
        release();
        await holding;
        await other.end();
      }
    });
  });
});
