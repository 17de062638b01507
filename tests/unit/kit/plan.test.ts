// The pure decisions of `kit add`: versions after the project's latest, the config.toml block
// appended as text, an upgrade writing only new kit migrations, and the shape read from a catalog
// description (words from a CHECK or an enum, identity ids, which columns to add).
import { describe, expect, it } from "vitest";
import { withFunctionBlock, FUNCTION_BLOCK } from "../../../scripts/kit/config-toml.ts";
import { inferShape, KIT_COLUMNS, type ObservedColumn, type ObservedTable } from "../../../scripts/kit/infer-shape.ts";
import { DEFAULT_JOB_SHAPE } from "../../../scripts/kit/job-shape.ts";
import { listKitMigrations } from "../../../scripts/kit/kit-files.ts";
import { parseManifest, serializeManifest } from "../../../scripts/kit/kit-manifest.ts";
import { nextVersions, versionOf } from "../../../scripts/kit/migration-versions.ts";
import { planAdd, type AddInputs } from "../../../scripts/kit/plan-add.ts";
import { quotedWords } from "../../../scripts/kit/read-qc-jobs.ts";

const column = (name: string, type: string, more: Partial<ObservedColumn> = {}): ObservedColumn => ({
  name, type, enumLabels: null, notNull: false, defaultExpr: null, identity: "", ...more,
});

describe("migration versions", () => {
  const now = new Date("2026-12-01T21:00:00.700Z");

  it("start at now (UTC, to the second), one second apart", () => {
    expect(versionOf(now)).toBe("20261201210000");
    expect(nextVersions(["20240115093000", null], now, 3)).toEqual(["20261201210000", "20261201210001", "20261201210002"]);
  });

  it("start one second after a latest version that is now or later (local files or the database's history)", () => {
    expect(nextVersions(["20261201210000"], now, 2)).toEqual(["20261201210001", "20261201210002"]);
    expect(nextVersions(["20240115093000", "20270101000059"], now, 2)).toEqual(["20270101000100", "20270101000101"]);
  });
});

describe("config.toml", () => {
  it("appends the block and keeps every byte before it", () => {
    const toml = 'project_id = "app"\n\n[api]\nport = 54321 # mine\n';
    const updated = withFunctionBlock(toml);
    expect(updated).toBe(`${toml}\n${FUNCTION_BLOCK}`);
    expect(withFunctionBlock("a = 1")).toBe(`a = 1\n\n${FUNCTION_BLOCK}`);
  });

  it("leaves a file that already has a [functions.feature-flags] table alone", () => {
    const toml = '[functions.feature-flags]\nverify_jwt = true\n';
    expect(withFunctionBlock(toml)).toBe(toml);
    expect(withFunctionBlock('[functions."feature-flags"]\n')).toBe('[functions."feature-flags"]\n');
  });
});

describe("planning kit add", () => {
  const kitMigrations = listKitMigrations();
  const base: AddInputs = {
    shape: DEFAULT_JOB_SHAPE,
    qcJobs: "created",
    adaptation: { addColumns: [], addClaimIndex: false },
    manifest: null,
    kitMigrations,
    existingVersions: ["20240115093000"],
    now: new Date("2026-12-01T21:00:00Z"),
    functionFiles: { "supabase/functions/feature-flags/index.ts": "export default {};\n" },
    configToml: "",
  };

  it("a first run writes every kit migration with its scripts, renumbered, and records them", () => {
    const plan = planAdd(base);
    expect(plan.newMigrations).toHaveLength(kitMigrations.length);
    expect(plan.newMigrations[0]).toBe("20261201210000_create_qc_jobs_baseline.sql");
    const watchdogRollback = plan.files.find((f) => f.path.startsWith("supabase/rollback/") && f.path.endsWith("_create_job_watchdog.sql"))!;
    expect(watchdogRollback.text).not.toContain(kitMigrations.find((m) => m.slug === "schedule_job_watchdog")!.version);
    expect(watchdogRollback.text).toMatch(/Roll back the pg_cron schedule\n-- \(2026120121\d{4}\) first/);
    expect(Object.keys(plan.manifest.migrations)).toEqual(kitMigrations.map((m) => m.slug));
  });

  it("an upgrade writes only the kit migrations the manifest does not have, after the latest version", () => {
    const first = planAdd(base);
    const last = kitMigrations.at(-1)!;
    const { [last.slug]: _dropped, ...older } = first.manifest.migrations;
    const upgrade = planAdd({
      ...base,
      manifest: { ...first.manifest, migrations: older },
      existingVersions: ["20240115093000", ...Object.values(older).map((f) => f.slice(0, 14))],
      now: new Date("2026-12-01T20:00:00Z"),
    });
    expect(upgrade.newMigrations).toEqual([`${"20261201210000".slice(0, 12)}${String(kitMigrations.length - 1).padStart(2, "0")}_${last.slug}.sql`]);
    expect(upgrade.files.filter((f) => f.path.startsWith("supabase/migrations/"))).toHaveLength(1);
  });

  it("the manifest round-trips and a broken one is refused", () => {
    const manifest = planAdd(base).manifest;
    expect(parseManifest(serializeManifest(manifest))).toEqual(manifest);
    expect(() => parseManifest("{")).toThrow("not valid JSON");
    expect(() => parseManifest('{"qcJobs": "adapted"}')).toThrow("not a reliability kit manifest");
  });
});

describe("reading the shape", () => {
  const kitColumns = KIT_COLUMNS.map((c) => column(c.name, c.accepts[0]!));

  it("takes the words of a CHECK constraint, an identity id, and lists the columns to add", () => {
    const table: ObservedTable = {
      columns: [
        column("id", "bigint", { identity: "a", notNull: true }),
        column("status", "text", { defaultExpr: "'queued'::text" }),
        column("job_type", "text"),
      ],
      idIsUnique: true,
      statusCheckWords: quotedWords("CHECK ((status = ANY (ARRAY['queued'::text, 'working'::text, 'done'::text, 'dead'::text])))"),
    };
    const inferred = inferShape(table, { statusWords: { pending: "queued", running: "working", completed: "done", failed: "dead" } });
    expect(inferred.shape).toEqual({
      jobIdType: "bigint",
      jobIdDefault: "identity_always",
      status: { pending: "queued", running: "working", completed: "done", failed: "dead", cancelled: null },
      statusDefaultIsPending: true,
      tenantColumn: null,
      tenantColumnIsText: false,
    });
    expect(inferred.addColumns.map((c) => c.name)).toEqual(KIT_COLUMNS.map((c) => c.name).filter((n) => n !== "job_type"));
    for (const c of inferred.addColumns) expect(c.definition, c.name).toMatch(/^\w+( not null default (now\(\)|'[^']*'(::jsonb)?|\d+))?$/);
  });

  it("takes an enum's labels, finds cancelled, and uses tenant_id by default", () => {
    const labels = ["pending", "running", "completed", "failed", "cancelled"];
    const table: ObservedTable = {
      columns: [column("id", "uuid", { defaultExpr: "gen_random_uuid()" }), column("status", "job_state", { enumLabels: labels }), column("tenant_id", "text"), ...kitColumns],
      idIsUnique: true,
      statusCheckWords: null,
    };
    const inferred = inferShape(table);
    expect(inferred.shape).toEqual({ ...DEFAULT_JOB_SHAPE, statusDefaultIsPending: false });
    expect(inferred.addColumns).toEqual([]);
  });

  it("refuses an id that is not unique and a NOT NULL column the kit clears", () => {
    const table = (more: ObservedColumn[], idIsUnique = true): ObservedTable => ({ columns: [column("id", "uuid"), column("status", "text"), ...more], idIsUnique, statusCheckWords: null });
    expect(() => inferShape(table([], false))).toThrow("qc_jobs.id is neither the primary key nor unique");
    expect(() => inferShape(table([column("locked_by", "text", { notNull: true })]))).toThrow("qc_jobs.locked_by is NOT NULL");
    expect(() => inferShape(table([]), { tenantColumn: "org" })).toThrow("--tenant-column org: qc_jobs has no such column");
  });

  it("asks every missing answer at once: the status words and the tenant column", () => {
    const table: ObservedTable = {
      columns: [column("id", "text"), column("status", "text"), column("account_id", "bigint", { notNull: true })],
      idIsUnique: true,
      statusCheckWords: ["queued", "working", "done", "dead"],
    };
    expect(() => inferShape(table)).toThrow(
      "2 answers needed:\n  - qc_jobs.status allows queued, working, done, dead: which of them means pending, running, completed, failed?",
    );
    expect(() => inferShape(table)).toThrow("\n  - qc_jobs has account_id: should feature flags bucket a job by it (a tenant");
    expect(() => inferShape(table, { tenantColumn: "account_id" })).toThrow(/^qc_jobs\.status allows queued, working, done, dead: which/);
  });

  it("says what to run when the database has no service_role (plain PostgreSQL before the bootstrap), and nothing when it may do all", () => {
    const table = (serviceRoleMissing: string[] | null): ObservedTable => ({ columns: [column("id", "uuid"), column("status", "text")], idIsUnique: true, statusCheckWords: null, serviceRoleMissing });
    const notes = inferShape(table(null)).notes.join("\n");
    expect(notes).toContain("there is no role service_role in this database, so kit add could not check");
    expect(notes).toContain('psql "$DB_URL" -f supabase/bootstrap/platform.sql');
    expect(notes).toContain("grant select, insert, update, delete on public.qc_jobs to service_role;");
    expect(inferShape(table([])).notes.join("\n")).not.toContain("service_role");
  });
});
