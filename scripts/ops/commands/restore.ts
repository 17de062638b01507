// restore <file>: pg_restore a backup into the target, after the operator confirms the target by
// typing its database name (or --yes), in one transaction, then checks every table's row count
// against the backup's record.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { runTool, toolConnection } from "../pg-tools.ts";
import { OpsRefusal, UsageError, type OpsCommand } from "../command.ts";
import { recordPathOf, targetIdentity, type BackupRecord } from "../plan/backup-files.ts";
import { countDifferences, countRows } from "../table-counts.ts";
import { requireToolForServer } from "./backup.ts";

export const restoreCommand: OpsCommand = {
  name: "restore",
  args: "<backup file>",
  summary: "restore a backup into the target (named and confirmed), then check every table's row count",
  description: `
Restores a backup made by \`backup\` into the database of --env, with pg_restore --clean --if-exists
--single-transaction --no-owner: objects in the backup are dropped and re-created, and a failure
leaves the target as it was. Before anything happens, the target is printed and you must type it
as host:port/database to confirm (--yes skips the prompt; without a terminal, --yes is required).
Afterwards every table's row count is compared with the backup's record; a difference fails.`,
  options: {
    yes: { type: "boolean", short: "y", description: "do not ask for confirmation" },
  },
  examples: [
    "npm run ops:restore -- backups/postgres-20261125T193000Z.dump --env staging",
    "npm run ops:restore -- backups/postgres-20261125T193000Z.dump --env local --yes",
  ],
  async run(ctx, positionals, options) {
    const { out, settings } = ctx;
    const [given] = positionals;
    if (!given || positionals.length > 1) throw new UsageError("restore takes one backup file");
    const file = [path.resolve(given), path.join(settings.backupDir, given)].find((f) => existsSync(f));
    if (!file) throw new OpsRefusal(`backup file ${given} does not exist (looked in . and ${settings.backupDir})`);
    const record = existsSync(recordPathOf(file)) ? (JSON.parse(readFileSync(recordPathOf(file), "utf8")) as BackupRecord) : undefined;
    // Confirmed by host, port and name: on Supabase every database is called "postgres".
    const target = targetIdentity(settings.databaseUrl);
    const database = target.slice(target.indexOf("/") + 1);
    out.line(`Backup: ${file}${record ? ` (taken ${record.createdAt} from ${record.target}, ${Object.keys(record.rowCounts).length} tables)` : " (no record: row counts cannot be checked)"}`);
    out.line(`Restore INTO: ${settings.databaseUrl} — database "${database}" on ${target.slice(0, target.indexOf("/"))}`);
    out.line("Objects in the backup will be dropped and re-created in this database.");
    const pgRestore = await requireToolForServer(ctx, "pg_restore");
    if (options.yes !== true) {
      const confirmed = await ctx.confirm(`Restore ${path.basename(file)} into ${target}?`, target);
      if (!confirmed) throw new OpsRefusal(`restore into ${target} was not confirmed; nothing was restored (type ${target} at the prompt, or pass --yes)`);
    }
    const connection = toolConnection(settings.databaseUrl);
    await out.step(`pg_restore into ${database}`, async () => {
      const result = await runTool(pgRestore.path, ["--clean", "--if-exists", "--single-transaction", "--no-owner", "--exit-on-error", "--no-password", `--dbname=${connection.url}`, file], connection.env);
      if (result.exitCode !== 0) throw new Error(`pg_restore exited ${result.exitCode}; the target is unchanged (single transaction): ${result.stderr.trim()}`);
    });
    if (!record) {
      out.warn("no record next to the backup: row counts not checked");
      return;
    }
    const schemas = [...new Set(Object.keys(record.rowCounts).map((t) => t.slice(0, t.indexOf("."))))];
    const after = await out.step("count rows per table", (progress) => countRows(ctx.sql(), schemas, progress));
    const differences = countDifferences(record.rowCounts, after);
    out.table(Object.entries(record.rowCounts).map(([table, rows]) => ({ table, backup: rows, restored: after[table] ?? "missing" })));
    if (differences.length > 0) throw new Error(`the restored row counts differ from the backup's:\n  - ${differences.join("\n  - ")}`);
    out.line(`Restored ${Object.keys(record.rowCounts).length} tables into "${database}"; every row count matches the backup.`);
  },
};
