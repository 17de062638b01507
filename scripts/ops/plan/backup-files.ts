// Backup files and their records. Each backup is `<database>-<UTC time>.dump` (pg_dump custom
// format) with a `<same>.dump.json` record: what was dumped, from where, when, and the row count
// of every table, which preflight reads to find a recent backup and restore compares against.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export interface BackupRecord {
  file: string;
  /** host:port/database of the source, never the user or password. */
  target: string;
  createdAt: string;
  serverVersion: string;
  pgDumpVersion: string;
  sizeBytes: number;
  /** schema.table → rows, counted in the snapshot pg_dump dumped (when the server allowed it). */
  rowCounts: Record<string, number>;
  consistentSnapshot: boolean;
}

/** What identifies a database across URLs: host, port and name (not the user or password). */
export function targetIdentity(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return `${url.hostname}:${url.port || "5432"}/${decodeURIComponent(url.pathname.slice(1)) || "postgres"}`;
}

export function backupFileName(databaseUrl: string, now: Date): string {
  const database = (decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) || "postgres").replace(/[^\w.-]/g, "_");
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `${database}-${stamp}.dump`;
}

export const recordPathOf = (dumpPath: string) => `${dumpPath}.json`;

export function readBackupRecords(backupDir: string): BackupRecord[] {
  if (!existsSync(backupDir)) return [];
  return readdirSync(backupDir)
    .filter((name) => name.endsWith(".dump.json"))
    .flatMap((name) => {
      try {
        const record = JSON.parse(readFileSync(path.join(backupDir, name), "utf8")) as BackupRecord;
        // A record whose dump was deleted is no backup.
        return existsSync(path.join(backupDir, path.basename(record.file))) ? [record] : [];
      } catch {
        return [];
      }
    });
}

/** The newest backup of this target no older than maxAgeMs, if any. */
export function findRecentBackup(records: BackupRecord[], target: string, now: Date, maxAgeMs: number): BackupRecord | undefined {
  return records
    .filter((r) => r.target === target && now.getTime() - Date.parse(r.createdAt) <= maxAgeMs)
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))[0];
}
