// Databases the benchmark makes: fresh databases on the local PostgreSQL server (the DB-at-scale
// figures need a real server), each dropped at the end of the run, and migration pushes with the
// real Supabase CLI, optionally of only the first migrations (from a scratch project folder).
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { connect, type Sql } from "../../scripts/shared/database.ts";
import { listMigrations } from "../../scripts/shared/migration-files.ts";
import { bootstrapPlatform } from "../../scripts/shared/platform-bootstrap.ts";
import { SUPABASE_DIR } from "../../scripts/shared/project-paths.ts";
import { dbPush } from "../../scripts/shared/supabase-cli.ts";
import { BENCH_DIR } from "./processes.ts";

export const SERVER_URL = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const SCRATCH_DIR = path.join(BENCH_DIR, "tmp");

export interface BenchDatabase {
  name: string;
  url: string;
  /** One connection as the owner (the role migrations and the dashboard's table editor use). */
  sql: Sql;
  drop(): Promise<void>;
}

const created = new Set<BenchDatabase>();

export function databaseUrl(database: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${database}`;
  if (!url.searchParams.has("sslmode")) url.searchParams.set("sslmode", "disable");
  return url.toString();
}

export async function serverVersion(): Promise<string> {
  const sql = connect(databaseUrl(new URL(SERVER_URL).pathname.slice(1) || "postgres"));
  try {
    const rows = await sql`select current_setting('server_version') as version`;
    return `PostgreSQL ${rows[0]!.version as string}`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** A new, bootstrapped (Supabase roles) database on the server; dropped by `dropAllDatabases`. */
export async function createBenchDatabase(label: string): Promise<BenchDatabase> {
  const name = `rrk_bench_${label}_${randomBytes(3).toString("hex")}`;
  const admin = connect(databaseUrl("postgres"));
  await admin.unsafe(`create database ${name}`);
  const url = databaseUrl(name);
  const sql = connect(url);
  await bootstrapPlatform(sql, "explicit");
  const database: BenchDatabase = {
    name,
    url,
    sql,
    async drop() {
      created.delete(database);
      await sql.end({ timeout: 5 });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
  created.add(database);
  return database;
}

export async function dropAllDatabases(): Promise<void> {
  for (const database of [...created]) await database.drop();
}

/**
 * `supabase db push` of the project's migrations up to and including `throughVersion` (all when
 * omitted), from a scratch project folder holding only those files. Returns the push's wall time.
 */
export async function pushMigrations(url: string, throughVersion?: string): Promise<{ ms: number; output: string }> {
  const migrations = listMigrations().filter((m) => !throughVersion || m.version <= throughVersion);
  const project = path.join(SCRATCH_DIR, `project-${randomBytes(3).toString("hex")}`);
  mkdirSync(path.join(project, "supabase", "migrations"), { recursive: true });
  copyFileSync(path.join(SUPABASE_DIR, "config.toml"), path.join(project, "supabase", "config.toml"));
  for (const m of migrations) copyFileSync(m.migrationPath, path.join(project, "supabase", "migrations", m.fileName));
  try {
    const started = performance.now();
    const result = await dbPush(url, { cwd: project });
    const ms = performance.now() - started;
    if (result.exitCode !== 0) throw new Error(`supabase db push exited ${result.exitCode}:\n${result.output}`);
    return { ms, output: result.output };
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

export function migrationVersion(name: string): string {
  const found = listMigrations().find((m) => m.name === name);
  if (!found) throw new Error(`no migration named ${name} in supabase/migrations`);
  return found.version;
}
