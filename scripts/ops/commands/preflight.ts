// preflight: the pre-migration checklist, checked on the target.
import { formatDuration } from "../duration.ts";
import { findMigration, readSql } from "../../shared/migration-files.ts";
import { migrationHistory, type MigrationHistory } from "../migration-history.ts";
import { OpsRefusal, optionDuration, type OpsCommand, type OpsContext } from "../command.ts";
import { existingNames, heartbeatColumn, longTransactions, observeObjects } from "../catalog.ts";
import { namesCreatedBy } from "../plan/created-names.ts";
import { findRecentBackup, readBackupRecords, targetIdentity } from "../plan/backup-files.ts";
import { compareHeartbeatColumn, compareShape, EXPECTED_SHAPES, type ShapeCheck } from "../plan/expected-shapes.ts";

export const DEFAULT_MAX_BACKUP_AGE = "1h";

export interface PreflightOptions {
  maxBackupAgeMs: number;
  /** deploy takes its own backup right after preflight. */
  skipBackupCheck: boolean;
}

export interface PreflightResult {
  failures: string[];
  history: MigrationHistory;
}

export async function runPreflight(ctx: OpsContext, options: PreflightOptions): Promise<PreflightResult> {
  const { out } = ctx;
  const sql = ctx.sql();
  const failures: string[] = [];
  const report = (check: ShapeCheck) => {
    if (check.status === "ok") out.ok(check.message);
    else if (check.status === "warn") out.warn(check.message);
    else {
      out.fail(check.message);
      failures.push(check.message);
    }
  };

  const [server] = await sql<{ version: string }[]>`select pg_catalog.current_setting('server_version') as version`;
  out.line(`Server: PostgreSQL ${server!.version}`);

  out.line("Backup:");
  if (options.skipBackupCheck) {
    out.ok("backup check skipped (deploy takes a backup next)");
  } else {
    const target = targetIdentity(ctx.settings.databaseUrl);
    const recent = findRecentBackup(readBackupRecords(ctx.settings.backupDir), target, ctx.now(), options.maxBackupAgeMs);
    report(
      recent
        ? { status: "ok", message: `backup ${recent.file} taken ${formatDuration(ctx.now().getTime() - Date.parse(recent.createdAt))} ago (${Object.keys(recent.rowCounts).length} tables)` }
        : { status: "fail", message: `no backup of ${target} newer than ${formatDuration(options.maxBackupAgeMs)} in ${ctx.settings.backupDir}: run \`npm run ops -- backup\` first` },
    );
  }

  out.line("Names the migrations create (free, or already ours):");
  const observed = await observeObjects(sql, EXPECTED_SHAPES);
  for (const shape of EXPECTED_SHAPES) report(compareShape(shape, observed.get(shape.name)!));
  report(compareHeartbeatColumn(await heartbeatColumn(sql)));

  out.line("Other names the pending migrations create (new migrations included):");
  const history = await migrationHistory(ctx.settings.databaseUrl, ctx.projectDir);
  await checkPendingNames(ctx, history.pending);

  out.line("Sessions that could block the migrations' locks:");
  const blockers = await longTransactions(sql, 60_000);
  if (blockers.length === 0) out.ok("no transaction open for more than a minute");
  for (const b of blockers) out.warn(`pid ${b.pid} (${b.state}) has had a transaction open for ${b.age}: ${b.query}`);

  out.line("Migrations (supabase migration list):");
  out.ok(`${history.applied.length} applied${history.applied.length ? `: ${history.applied.join(", ")}` : ""}`);
  if (history.pending.length === 0) out.ok("none pending: the target is up to date");
  else out.ok(`${history.pending.length} pending: ${history.pending.join(", ")}`);
  if (history.remoteOnly.length > 0) {
    report({ status: "fail", message: `the target's history has versions with no file in supabase/migrations: ${history.remoteOnly.join(", ")} (the CLI refuses to push; pull or repair them first)` });
  }
  return { failures, history };
}

/**
 * Checked elsewhere: the kit's objects by shape above; qc_jobs (and the index only a fresh baseline
 * gets) by the baseline migration, which keeps an existing qc_jobs and checks its contract.
 */
const CHECKED_ELSEWHERE = new Set(["table qc_jobs", "index qc_jobs_status_run_after_idx", ...EXPECTED_SHAPES.map((shape) => `${shape.kind} ${shape.name}`)]);

async function checkPendingNames(ctx: OpsContext, pending: string[]): Promise<void> {
  const created = pending.flatMap((version) => {
    const migration = findMigration(version, ctx.migrationsDir);
    return namesCreatedBy(readSql(migration.migrationPath)).map((name) => ({ ...name, fileName: migration.fileName }));
  }).filter((name) => !CHECKED_ELSEWHERE.has(`${name.kind} ${name.name}`));
  const existing = await existingNames(ctx.sql(), created);
  let clashes = 0;
  for (const name of created) {
    const key = `${["table", "view", "index"].includes(name.kind) ? "relation" : name.kind} ${name.name}`;
    if (!existing.has(key)) continue;
    clashes++;
    ctx.out.warn(`${name.kind} ${name.name} already exists; ${name.fileName} ${name.replaces ? "REPLACES it (create or replace): make sure it is not the app's own" : "keeps it as it is (if not exists): its shape is not checked here, dry-run and verify will show"}`);
  }
  if (clashes === 0) ctx.out.ok(`${created.length} other name(s) in ${pending.length} pending migration(s): all free`);
}

export const preflightCommand: OpsCommand = {
  name: "preflight",
  summary: "check the target before migrating: recent backup, free names, heartbeat column, pending migrations",
  description: `
Checks, on the target database, the pre-migration checklist:
  1. a backup of this database newer than --max-backup-age exists in the backups folder
     (a record written by \`backup\`);
  2. the names the migrations create (job_dlq, feature_flags, feature_flag_audit, their indexes and
     triggers, the heartbeat indexes) are free, or already hold an object of our shape;
  3. qc_jobs.last_heartbeat_at is absent, or a nullable timestamptz without default;
  4. no transaction has been open for over a minute (it would hold up the migrations' locks);
  5. the pending migrations, as the Supabase CLI lists them.
Read only. Exits 1 when any check fails.`,
  options: {
    "max-backup-age": { type: "string", value: "<duration>", description: `newest backup must be younger than this (default ${DEFAULT_MAX_BACKUP_AGE}; e.g. 30m, 6h)` },
    "skip-backup-check": { type: "boolean", description: "do not look for a backup (deploy takes one itself)" },
  },
  examples: ["npm run ops:preflight -- --env staging", "npm run ops -- preflight --env production --max-backup-age 30m"],
  async run(ctx, _positionals, options) {
    const { failures } = await runPreflight(ctx, {
      maxBackupAgeMs: optionDuration(options, "max-backup-age", DEFAULT_MAX_BACKUP_AGE),
      skipBackupCheck: options["skip-backup-check"] === true,
    });
    if (failures.length > 0) throw new OpsRefusal(`${failures.length} preflight check(s) failed:\n  - ${failures.join("\n  - ")}`);
    ctx.out.line("Preflight passed.");
  },
};
