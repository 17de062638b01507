// backup: pg_dump in custom format to a timestamped file in the backups folder, with a record of
// its size and the row count of every table, counted in the very snapshot pg_dump dumps.
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Sql } from "../../shared/database.ts";
import { formatBytes } from "../duration.ts";
import { pgToolPath, pgToolVersion, runTool, toolConnection } from "../pg-tools.ts";
import { inTransaction } from "../transaction.ts";
import { OpsRefusal, type OpsCommand, type OpsContext } from "../command.ts";
import { backupFileName, recordPathOf, targetIdentity, type BackupRecord } from "../plan/backup-files.ts";
import { countRows } from "../table-counts.ts";

/** Refuses when the client tool is older than the server: pg_dump and pg_restore refuse it anyway. */
export async function requireToolForServer(ctx: OpsContext, tool: "pg_dump" | "pg_restore"): Promise<{ path: string; version: string }> {
  const toolPath = pgToolPath(tool, ctx.settings.values);
  const version = await pgToolVersion(toolPath);
  const [row] = await ctx.sql()<{ num: string; text: string }[]>`select pg_catalog.current_setting('server_version_num') as num, pg_catalog.current_setting('server_version') as text`;
  const serverMajor = Math.floor(Number(row!.num) / 10000);
  if (version.major < serverMajor) {
    throw new OpsRefusal(`${version.text} cannot read a PostgreSQL ${row!.text} server: backup and restore need a ${tool} of version ${serverMajor} or newer (install postgresql-client-${serverMajor} and set PG_BIN_DIR to its bin folder). An embedded PGlite target cannot be backed up this way.`);
  }
  return { path: toolPath, version: version.text };
}

export async function runBackup(ctx: OpsContext, schemas: string[] | undefined): Promise<BackupRecord> {
  const { out, settings } = ctx;
  const pgDump = await requireToolForServer(ctx, "pg_dump");
  mkdirSync(settings.backupDir, { recursive: true });
  const file = freshPath(path.join(settings.backupDir, backupFileName(settings.databaseUrl, ctx.now())));
  const partial = `${file}.partial`;
  const connection = toolConnection(settings.databaseUrl);
  const sql: Sql = ctx.sql();

  // The snapshot is exported from a repeatable-read transaction that stays open while pg_dump
  // runs, so the row counts describe exactly what was dumped. Where a server cannot export one
  // (a hot standby before PostgreSQL 10, some poolers), the counts are taken just before instead.
  const dumpIn = (useSnapshot: boolean) =>
    inTransaction(sql, async (tx) => {
      await tx`set transaction isolation level repeatable read, read only`;
      const snapshot = useSnapshot ? (await tx<{ id: string }[]>`select pg_catalog.pg_export_snapshot() as id`)[0]!.id : undefined;
      const rowCounts = await out.step("count rows per table", (progress) => countRows(tx, schemas, progress));
      const args = ["--format=custom", `--file=${partial}`, "--no-password", ...(snapshot ? [`--snapshot=${snapshot}`] : []), ...(schemas ?? []).map((s) => `--schema=${s}`), connection.url];
      await out.step(`pg_dump to ${file}`, async (progress) => {
        const ticker = setInterval(() => progress(`${formatBytes(sizeOf(partial))} written`), 5_000);
        try {
          const result = await runTool(pgDump.path, args, connection.env);
          if (result.exitCode !== 0) throw new Error(`pg_dump exited ${result.exitCode}: ${result.stderr.trim()}`);
        } finally {
          clearInterval(ticker);
        }
      });
      const [server] = await tx<{ version: string }[]>`select pg_catalog.current_setting('server_version') as version`;
      return {
        file: path.basename(file),
        target: targetIdentity(settings.databaseUrl),
        createdAt: ctx.now().toISOString(),
        serverVersion: server!.version,
        pgDumpVersion: pgDump.version,
        sizeBytes: sizeOf(partial),
        rowCounts,
        consistentSnapshot: Boolean(snapshot),
      } satisfies BackupRecord;
    });
  const record = await dumpIn(true)
    .catch(async (error) => {
      if (!/snapshot/i.test((error as Error).message)) throw error;
      out.warn(`could not export a snapshot (${(error as Error).message}); row counts are taken just before the dump`);
      return dumpIn(false);
    })
    .catch((error) => {
      rmSync(partial, { force: true });
      throw error;
    });

  // A dump pg_restore cannot list is no backup.
  const pgRestore = pgToolPath("pg_restore", settings.values);
  const listed = await runTool(pgRestore, ["--list", partial], {});
  if (listed.exitCode !== 0) {
    rmSync(partial, { force: true });
    throw new Error(`the dump could not be read back by pg_restore --list: ${listed.stderr.trim()}`);
  }
  renameSync(partial, file);
  writeFileSync(recordPathOf(file), `${JSON.stringify(record, null, 2)}\n`);
  out.line(`Backup: ${file} (${formatBytes(record.sizeBytes)}, custom format, ${record.consistentSnapshot ? "row counts from the dumped snapshot" : "row counts taken just before"})`);
  out.table(Object.entries(record.rowCounts).map(([table, rows]) => ({ table, rows })));
  return record;
}

/** Two backups within the same second get -2, -3, ...: a backup never overwrites another. */
function freshPath(file: string): string {
  let candidate = file;
  for (let n = 2; existsSync(candidate) || existsSync(`${candidate}.partial`); n++) candidate = file.replace(/\.dump$/, `-${n}.dump`);
  return candidate;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

export const backupCommand: OpsCommand = {
  name: "backup",
  summary: "pg_dump the target (custom format) to backups/<db>-<UTC time>.dump, with size and row counts",
  description: `
Dumps the target with pg_dump --format=custom into the backups folder (git-ignored; --backup-dir
or OPS_BACKUP_DIR to change it) as <database>-<UTC time>.dump, next to a .dump.json record:
source, time, size, server and pg_dump versions, and the row count of every table, counted in
the same snapshot pg_dump dumps. The file is checked with pg_restore --list before it counts.
preflight looks for this record; restore compares its counts after restoring.
Needs a pg_dump at least as new as the server (PG_BIN_DIR selects one); PGlite cannot be dumped.`,
  options: {
    schema: { type: "string", multiple: true, value: "<name>", description: "dump only this schema (repeatable); default: the whole database" },
  },
  examples: ["npm run ops:backup -- --env production", "npm run ops -- backup --env staging --schema public"],
  async run(ctx, positionals, options) {
    if (positionals.length > 0) throw new OpsRefusal(`backup takes no arguments, got ${positionals.join(" ")}`);
    const schemas = options.schema as string[] | undefined;
    await runBackup(ctx, schemas?.length ? schemas : undefined);
  },
};
