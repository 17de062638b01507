// The ops tool's pure parts: SQL builders, the promotion guard, shape comparison, settings,
// redaction. No database: these run first and fast.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createRedactor } from "../../../scripts/shared/redact.ts";
import { cliConnectFailure, connectFailureOf } from "../../../scripts/shared/connection-failure.ts";
import { classifyMigrations } from "../../../scripts/ops/migration-history.ts";
import { parseDuration } from "../../../scripts/ops/duration.ts";
import { planDryRun, renderDryRun, rewriteForTransaction, timeoutPreamble } from "../../../scripts/ops/plan/dry-run-sql.ts";
import { flagUpdateStatement, validateFlagChange } from "../../../scripts/ops/plan/flag-sql.ts";
import { namesCreatedBy } from "../../../scripts/ops/plan/created-names.ts";
import { canaryVerdict, dlqVerdict, sameRolloutState, stateSince, type AuditEntry } from "../../../scripts/ops/plan/rollout-phases.ts";
import { compareHeartbeatColumn, compareShape, EXPECTED_SHAPES, type ObservedObject } from "../../../scripts/ops/plan/expected-shapes.ts";
import { backupFileName, findRecentBackup, targetIdentity, type BackupRecord } from "../../../scripts/ops/plan/backup-files.ts";
import { resolveSettings, OpsConfigError } from "../../../scripts/ops/settings.ts";

describe("dry-run SQL", () => {
  it("rewrites concurrent index statements to run in a transaction, and says which", () => {
    const sql = [
      "-- the indexes are built with create index concurrently, see below",
      "create index concurrently if not exists a_idx on t (a);",
      "CREATE UNIQUE INDEX CONCURRENTLY b_idx ON t (b);",
      "drop index concurrently if exists c_idx;",
      "create index d_idx on t (d);",
    ].join("\n");
    const { sql: out, rewrites } = rewriteForTransaction(sql);
    expect(out).toBe([
      "-- the indexes are built with create index concurrently, see below",
      "create index if not exists a_idx on t (a);",
      "CREATE UNIQUE INDEX b_idx ON t (b);",
      "drop index if exists c_idx;",
      "create index d_idx on t (d);",
    ].join("\n"));
    expect(rewrites).toHaveLength(3);
    expect(rewrites[0]).toContain("line 2");
  });

  it("bounds lock waits and statements with set local, in milliseconds", () => {
    expect(timeoutPreamble(5000, 300000)).toBe("set local lock_timeout = '5000ms';\nset local statement_timeout = '300000ms';");
    expect(() => timeoutPreamble(0, 1000)).toThrow(/lock_timeout/);
    expect(() => timeoutPreamble(1000, 1.5)).toThrow(/statement_timeout/);
  });

  it("renders the whole transaction it runs, ending in rollback", () => {
    const plan = planDryRun([{ version: "1", fileName: "1_x.sql", sql: "create index concurrently i on t (a);" }], 1000, 2000);
    const text = renderDryRun(plan);
    expect(text.startsWith("begin;\nset local lock_timeout = '1000ms';")).toBe(true);
    expect(text).toContain("create index i on t (a);");
    expect(text.endsWith("rollback;")).toBe(true);
  });
});

describe("names a migration creates", () => {
  it("finds public tables, views, indexes, triggers and functions, and whether they replace", () => {
    const sql = [
      "-- create table public.commented_out (id int);",
      "create table if not exists public.job_dlq (id uuid);",
      "create table audit.elsewhere (id int);",
      'create unique index concurrently if not exists "one_open" on public.job_dlq (id);',
      "create index other_schema_idx on audit.elsewhere (id);",
      "create or replace function public.claim_job(worker text) returns uuid language sql as $$ select null::uuid $$;",
      "create function helper () returns int language sql as $$ select 1 $$;",
      "create trigger job_dlq_touch before update on public.job_dlq for each row execute function helper();",
      "create or replace view public.open_dlq as select 1;",
    ].join("\n");
    expect(namesCreatedBy(sql)).toEqual([
      { kind: "table", name: "job_dlq", replaces: false },
      { kind: "view", name: "open_dlq", replaces: true },
      { kind: "index", name: "one_open", replaces: false },
      { kind: "trigger", name: "job_dlq_touch", replaces: false },
      { kind: "function", name: "claim_job", replaces: true },
      { kind: "function", name: "helper", replaces: false },
    ]);
  });
});

describe("flag changes", () => {
  it("are validated with the edge function's validators", () => {
    expect(() => validateFlagChange({ key: "dlq", enabled: true })).toThrow(/upper snake case/);
    expect(() => validateFlagChange({ key: "DLQ_ENABLED", rolloutPercentage: 5.001 })).toThrow(/steps of 0.01/);
    expect(() => validateFlagChange({ key: "DLQ_ENABLED", rolloutPercentage: 101 })).toThrow(/between 0 and 100/);
    expect(() => validateFlagChange({ key: "DLQ_ENABLED" })).toThrow(/nothing to change/);
    expect(validateFlagChange({ key: "DLQ_ENABLED", rolloutPercentage: 12.5 })).toEqual({ key: "DLQ_ENABLED", rolloutPercentage: 12.5 });
  });

  it("become one parameterized update that leaves unset fields alone", () => {
    const statement = flagUpdateStatement({ key: "DLQ_ENABLED", enabled: false });
    expect(statement.params).toEqual(["DLQ_ENABLED", false, null, null]);
    expect(statement.text).toMatch(/^update public\.feature_flags set enabled = coalesce\(\$2::boolean, enabled\)/);
  });
});

describe("promotion guard", () => {
  const at = (iso: string) => new Date(iso);
  const audit = (changedAt: string, oldRow: AuditEntry["oldRow"], newRow: AuditEntry["newRow"]): AuditEntry => ({
    operation: oldRow ? "UPDATE" : "INSERT", oldRow, newRow, changedAt: at(changedAt),
  });

  it("dates a flag's state from its last change of answers, ignoring description edits and disabled percentages", () => {
    const entries = [
      audit("2026-11-01T00:00:00Z", null, { enabled: false, rollout_percentage: 0 }),
      audit("2026-11-02T00:00:00Z", { enabled: false, rollout_percentage: 0 }, { enabled: true, rollout_percentage: "5" }),
      audit("2026-11-05T00:00:00Z", { enabled: true, rollout_percentage: 5 }, { enabled: true, rollout_percentage: 5 }),
    ];
    expect(stateSince(entries)).toEqual(at("2026-11-02T00:00:00Z"));
    expect(stateSince([audit("2026-11-01T00:00:00Z", { enabled: false, rollout_percentage: 0 }, { enabled: false, rollout_percentage: 50 })])).toBeNull();
    expect(sameRolloutState({ enabled: false, rolloutPercentage: 0 }, { enabled: false, rolloutPercentage: 50 })).toBe(true);
  });

  const guard = { minCanaryDays: 7, maxDlqPerDay: 10 };
  const now = at("2026-11-20T00:00:00Z");
  const canary = [
    { key: "DLQ_ENABLED", current: { enabled: true, rolloutPercentage: 5 }, since: at("2026-11-10T00:00:00Z") },
    { key: "JOB_HEARTBEAT", current: { enabled: false, rolloutPercentage: 0 }, since: at("2026-11-01T00:00:00Z") },
  ];

  it("allows promotion after 7 days at the canary values, counting the DLQ from the latest canary start", () => {
    const verdict = canaryVerdict(canary, guard, now);
    expect(verdict.blockers).toEqual([]);
    expect(verdict.canarySince).toEqual(at("2026-11-10T00:00:00Z"));
  });

  it("refuses too early, off-canary values and missing history", () => {
    const early = canaryVerdict([{ ...canary[0]!, since: at("2026-11-15T00:00:00Z") }, canary[1]!], guard, now);
    expect(early.blockers).toEqual([expect.stringMatching(/DLQ_ENABLED has been at its canary value for 5\.0 days.*needs 7/)]);
    const offCanary = canaryVerdict([{ ...canary[0]!, current: { enabled: true, rolloutPercentage: 50 } }], guard, now);
    expect(offCanary.blockers[0]).toMatch(/not at its canary value \(on for 5 %\) but on for 50 %/);
    const noHistory = canaryVerdict([{ ...canary[0]!, since: null }], guard, now);
    expect(noHistory.blockers[0]).toMatch(/no audit history/);
  });

  it("bounds the DLQ's growth per day since the canary began", () => {
    expect(dlqVerdict(70, at("2026-11-13T00:00:00Z"), guard, now).ok).toBe(true);
    const fast = dlqVerdict(71, at("2026-11-13T00:00:00Z"), guard, now);
    expect(fast.ok).toBe(false);
    expect(fast.message).toContain("71 entries");
  });
});

describe("preflight shapes", () => {
  const empty = (name: string): ObservedObject => ({ name, relkind: null, columns: {}, indexdef: null, indexValid: null, triggers: [] });
  const shape = (name: string) => EXPECTED_SHAPES.find((s) => s.name === name)!;

  it("passes free names and names holding our shape", () => {
    expect(compareShape(shape("job_dlq"), empty("job_dlq")).status).toBe("ok");
    const ours = { ...empty("idx_qc_jobs_heartbeat"), relkind: "i", indexValid: true, indexdef: "CREATE INDEX idx_qc_jobs_heartbeat ON public.qc_jobs USING btree (last_heartbeat_at)" };
    expect(compareShape(shape("idx_qc_jobs_heartbeat"), ours)).toEqual({ status: "ok", message: "index idx_qc_jobs_heartbeat: exists with our shape" });
  });

  it("fails a name taken by another kind or shape, and warns on an invalid index of ours", () => {
    expect(compareShape(shape("job_dlq"), { ...empty("job_dlq"), relkind: "v" }).message).toMatch(/taken by a view/);
    expect(compareShape(shape("job_dlq"), { ...empty("job_dlq"), relkind: "r", columns: { id: "integer" } }).message).toMatch(/id is integer, expected uuid; job_id missing/);
    const other = { ...empty("idx_qc_jobs_heartbeat"), relkind: "i", indexValid: true, indexdef: "CREATE INDEX idx_qc_jobs_heartbeat ON public.qc_jobs USING btree (created_at)" };
    expect(compareShape(shape("idx_qc_jobs_heartbeat"), other).status).toBe("fail");
    expect(compareShape(shape("idx_qc_jobs_heartbeat"), { ...other, indexdef: other.indexdef.replace("created_at", "last_heartbeat_at"), indexValid: false }).status).toBe("warn");
    expect(compareShape(shape("job_dlq_updated_at"), { ...empty("job_dlq_updated_at"), triggers: [{ table: "qc_jobs", function: "touch" }] }).status).toBe("fail");
  });

  it("accepts the heartbeat column absent or ours only", () => {
    expect(compareHeartbeatColumn(null).status).toBe("ok");
    expect(compareHeartbeatColumn({ type: "timestamp with time zone", notNull: false, hasDefault: false }).status).toBe("ok");
    expect(compareHeartbeatColumn({ type: "timestamp with time zone", notNull: true, hasDefault: true }).message).toMatch(/not null with a default/);
    expect(compareHeartbeatColumn({ type: "bigint", notNull: false, hasDefault: false }).status).toBe("fail");
  });
});

describe("backups, history, settings, redaction", () => {
  it("names backups by database and UTC time, and finds the newest recent one of the same target", () => {
    const url = "postgresql://u:secret@db.example.com:6543/app";
    expect(backupFileName(url, new Date("2026-11-25T19:30:05.123Z"))).toBe("app-20261125T193005Z.dump");
    expect(targetIdentity(url)).toBe("db.example.com:6543/app");
    const record = (createdAt: string, target = "db.example.com:6543/app") => ({ createdAt, target, file: createdAt }) as BackupRecord;
    const now = new Date("2026-11-25T20:00:00Z");
    const records = [record("2026-11-25T19:50:00Z"), record("2026-11-25T19:30:00Z"), record("2026-11-25T19:59:00Z", "other:5432/app"), record("2026-11-25T18:00:00Z")];
    expect(findRecentBackup(records, "db.example.com:6543/app", now, parseDuration("1h"))?.createdAt).toBe("2026-11-25T19:50:00Z");
    expect(findRecentBackup(records, "db.example.com:6543/app", now, parseDuration("5m"))).toBeUndefined();
  });

  it("sorts the CLI's history rows into applied, pending and remote-only", () => {
    expect(classifyMigrations([{ local: "1", remote: "1" }, { local: "2", remote: "" }, { local: "", remote: "9" }])).toEqual({ applied: ["1"], pending: ["2"], remoteOnly: ["9"] });
  });

  it("reads DATABASE_URL from the --env file, which wins over the shell", () => {
    const cwd = mkdtempSync(path.join(tmpdir(), "rrk-settings-"));
    writeFileSync(path.join(cwd, ".env.production"), "DATABASE_URL=postgresql://postgres:prod@prod.example.com:5432/postgres\nOPS_ACTOR=file-actor\n");
    const settings = resolveSettings({ envName: "production", processEnv: { DATABASE_URL: "postgresql://x@staging/postgres" }, cwd });
    expect(settings.databaseUrl).toBe("postgresql://postgres:prod@prod.example.com:5432/postgres");
    expect(settings.actor).toBe("file-actor");
    expect(settings.backupDir).toBe(path.join(cwd, "backups"));
    expect(() => resolveSettings({ envName: "staging", processEnv: {}, cwd })).toThrow(/\.env\.staging does not exist/);
    expect(() => resolveSettings({ processEnv: {}, cwd })).toThrow(OpsConfigError);
    expect(() => resolveSettings({ processEnv: { DATABASE_URL: "mysql://x" }, cwd })).toThrow(/not a postgresql/);
    expect(resolveSettings({ processEnv: { SUPABASE_DB_URL: "postgres://a@b/c" }, cwd }).databaseUrl).toBe("postgres://a@b/c");
  });

  it("masks every URL and its password wherever they appear", () => {
    const redact = createRedactor(["postgresql://admin:p%40ss-w0rd@db.example.com:5432/postgres"]);
    expect(redact("connect postgresql://admin:p%40ss-w0rd@db.example.com:5432/postgres failed")).toBe("connect postgresql://admin:****@db.example.com:5432/postgres failed");
    expect(redact("password authentication failed: p@ss-w0rd / p%40ss-w0rd")).toBe("password authentication failed: **** / ****");
  });
});

describe("redaction of a password that is also a visible name", () => {
  it("masks it only where it stands as the password", () => {
    const redact = createRedactor(["postgresql://postgres:postgres@127.0.0.1:5432/postgres"]);
    expect(redact("target postgresql://postgres:postgres@127.0.0.1:5432/postgres, role postgres")).toBe("target postgresql://postgres:****@127.0.0.1:5432/postgres, role postgres");
    expect(redact("dial postgres://postgres:postgres@db failed")).toBe("dial postgres://postgres:****@db failed");
  });
});

describe("a database that will not let us in: one line", () => {
  const password = 'failed to connect to postgres: failed to connect to `host=127.0.0.1 user=postgres database=postgres`: server error (FATAL: password authentication failed for user "postgres" (SQLSTATE 28P01))';
  const expected = 'cannot connect to the database: password authentication failed for user "postgres" (28P01); check the user and password in DATABASE_URL';

  it("reads the CLI's JSON error object and its plain lines alike", () => {
    const json = `${JSON.stringify({ target: { kind: "db-url" }, _tag: "Error", error: { code: "DbConnectError", message: password, suggestion: "Connect to your database by setting the env var correctly: SUPABASE_DB_PASSWORD" } })}\nTarget: custom Postgres (127.0.0.1:15410)\n`;
    expect(cliConnectFailure(json)).toBe(expected);
    expect(cliConnectFailure(`Initialising login role...\n${password}\nConnect to your database by setting the env var correctly\n`)).toBe(expected);
    expect(cliConnectFailure("failed to connect to postgres: failed to connect to `host=127.0.0.1 user=postgres database=postgres`: dial error (dial tcp 127.0.0.1:15411: connect: connection refused)"))
      .toBe("cannot connect to the database: dial error (dial tcp 127.0.0.1:15411: connect: connection refused)");
    expect(cliConnectFailure('{"error":{"code":"MigrationError","message":"syntax error"}}')).toBeNull();
  });

  it("reads postgres.js errors, and leaves any other error alone", () => {
    expect(connectFailureOf(Object.assign(new Error('password authentication failed for user "postgres"'), { code: "28P01" })))
      .toBe('cannot connect to the database: password authentication failed for user "postgres" (28P01); check the user and password in DATABASE_URL');
    expect(connectFailureOf(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" })))
      .toBe("cannot connect to the database: connect ECONNREFUSED 127.0.0.1:1; check the host and port in DATABASE_URL, and that the server is up");
    expect(connectFailureOf(Object.assign(new Error("division by zero"), { code: "22012" }))).toBeNull();
    expect(connectFailureOf(new Error("no code"))).toBeNull();
  });
});
