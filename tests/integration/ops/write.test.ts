// The one "dry run or commit" path of the ops writes (scripts/ops/write.ts): the same callback
// runs rolled back under --dry-run and committed otherwise, for flags set, rollout and rollback
// alike (the dry run prints the statements the commit runs and changes nothing); a committed write
// carries its deadline to the server, a rollback script does not; OPS_WRITE_TIMEOUT is validated.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listMigrations } from "../../../scripts/shared/migration-files.ts";
import type { OpsContext } from "../../../scripts/ops/command.ts";
import { OpsConfigError, resolveSettings } from "../../../scripts/ops/settings.ts";
import { opsWrite } from "../../../scripts/ops/write.ts";
import type { TestDatabase } from "../../support/test-database.ts";
import { ops, targetState } from "../../support/ops-runner.ts";
import { createPushedDatabase } from "../../support/pushed-database.ts";

let db: TestDatabase;

beforeAll(async () => {
  db = await createPushedDatabase();
});
afterAll(async () => {
  await db?.drop();
});

/** Schema, migration history and flags: what any of the three writes changes. */
async function state() {
  const flags = await db.sql`select key, enabled, rollout_percentage::float8 as pct from public.feature_flags order by key`;
  return { ...(await targetState(db)), flags: flags.map((f) => ({ ...f })) };
}

const sqlLines = (output: string) => output.split("\n").filter((line) => line.trimStart().startsWith("sql "));

describe("one dry-run-or-commit path", () => {
  it("flags set, rollout canary and rollback: the dry run runs what the commit runs, and changes nothing", async () => {
    const last = listMigrations().at(-1)!;
    const now = () => new Date("2026-12-01T12:00:00Z"); // the same clock for both runs
    for (const argv of [["flags", "set", "DLQ_ENABLED", "--percentage", "50", "--enabled", "true"], ["rollout", "canary"], ["rollback", last.version]]) {
      const before = await state();
      const dry = await ops(db.url, [...argv, "--dry-run"], { now });
      expect(dry.code, dry.output).toBe(0);
      expect(dry.output).toMatch(/Dry run: .*Nothing was changed\./);
      expect(await state(), argv.join(" ")).toEqual(before);
      const real = await ops(db.url, argv, { now });
      expect(real.code, real.output).toBe(0);
      expect(sqlLines(real.output), argv.join(" ")).toEqual(sqlLines(dry.output));
      expect(await state(), argv.join(" ")).not.toEqual(before);
    }
  });

  it("a committed write tells the server its deadline; a rollback script gets none; a dry run is rolled back", async () => {
    const ctx = {
      settings: resolveSettings({ processEnv: { DATABASE_URL: db.url, OPS_WRITE_TIMEOUT: "2s" }, cwd: "/nonexistent" }),
      sql: () => db.sql,
      freshConnection: () => ({ sql: db.sql as never, end: async () => {} }),
    } as unknown as OpsContext;
    const setting = (tx: typeof db.sql) => tx`select current_setting('idle_in_transaction_session_timeout') as value`.then((rows) => rows[0]!.value as string);
    expect(await opsWrite(ctx, { dryRun: false }, (tx) => setting(tx as never))).toBe("2s");
    expect(await opsWrite(ctx, { dryRun: false, deadline: false }, (tx) => setting(tx as never))).not.toBe("2s");
    await db.sql`create table if not exists ops_write_probe (n int)`;
    await opsWrite(ctx, { dryRun: true }, (tx) => tx`insert into ops_write_probe values (1)`);
    await opsWrite(ctx, { dryRun: false }, (tx) => tx`insert into ops_write_probe values (2)`);
    expect((await db.sql`select n from ops_write_probe`).map((r) => r.n)).toEqual([2]);
    await db.sql`drop table ops_write_probe`;
  });

  it("OPS_WRITE_TIMEOUT: 30 s by default, a duration of at least 1 s", () => {
    const settings = (value?: string) => resolveSettings({ processEnv: { DATABASE_URL: "postgresql://x@h/db", OPS_WRITE_TIMEOUT: value }, cwd: "/nonexistent" });
    expect(settings().writeTimeoutMs).toBe(30_000);
    expect(settings("2m").writeTimeoutMs).toBe(120_000);
    expect(() => settings("500")).toThrow(OpsConfigError);
    expect(() => settings("0.5s")).toThrow(/OPS_WRITE_TIMEOUT: must be at least 1s/);
  });
});
