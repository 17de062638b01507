// Runs the ops tool in-process against a test database and collects what it prints.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runOps } from "../../scripts/ops/run-ops.ts";
import { SUPABASE_DIR } from "../../scripts/shared/project-paths.ts";
import { schemaSnapshot } from "./schema-snapshot.ts";
import type { TestDatabase } from "./test-database.ts";

export interface OpsRun {
  code: number;
  output: string;
}

export interface OpsRunOptions {
  /** Extra environment (DATABASE_URL is the test database's unless given). */
  env?: Record<string, string | undefined>;
  projectDir?: string;
  confirm?: (question: string, expected: string) => Promise<boolean>;
  now?: () => Date;
  /** Where .env files and backups/ are looked for; a fresh empty folder by default. */
  cwd?: string;
}

export async function ops(databaseUrl: string, argv: string[], options: OpsRunOptions = {}): Promise<OpsRun> {
  let output = "";
  const cwd = options.cwd ?? mkdtempSync(path.join(tmpdir(), "rrk-ops-cwd-"));
  const code = await runOps(argv, {
    env: { DATABASE_URL: databaseUrl, OPS_ACTOR: "test-operator", ...options.env },
    cwd,
    write: (text) => {
      output += text;
    },
    projectDir: options.projectDir,
    confirm: options.confirm ?? (async () => false),
    now: options.now,
  });
  if (!options.cwd) rmSync(cwd, { recursive: true, force: true });
  return { code, output };
}

export interface ExtraMigration {
  fileName: string;
  migration: string;
  rollback?: string;
  verify?: string;
}

/**
 * A copy of the project's supabase/ folder in a temp dir (for the CLI's --workdir-free cwd), with
 * only the migrations up to `upTo` (inclusive) and any extra migrations added.
 */
export function projectCopy(options: { upTo?: string; extra?: ExtraMigration[] } = {}): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), "rrk-ops-project-"));
  const target = path.join(dir, "supabase");
  cpSync(SUPABASE_DIR, target, { recursive: true, filter: (source) => !/[\\/]\.(temp|branches)$/.test(source) });
  if (options.upTo) {
    for (const folder of ["migrations", "rollback", "verify"]) {
      for (const fileName of readdirSync(path.join(target, folder))) {
        if (fileName.slice(0, 14) > options.upTo) rmSync(path.join(target, folder, fileName));
      }
    }
  }
  for (const extra of options.extra ?? []) {
    for (const [folder, text] of [["migrations", extra.migration], ["rollback", extra.rollback], ["verify", extra.verify]] as const) {
      if (text === undefined) continue;
      mkdirSync(path.join(target, folder), { recursive: true });
      writeFileSync(path.join(target, folder, extra.fileName), text);
    }
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What "the target is unchanged" compares: the catalog-based schema dump and the CLI's history. */
export async function targetState(db: TestDatabase): Promise<{ schema: string[]; history: string[] }> {
  const [table] = await db.sql`select to_regclass('supabase_migrations.schema_migrations') is not null as present`;
  const history = table!.present ? await db.sql`select version from supabase_migrations.schema_migrations order by version` : [];
  return { schema: await schemaSnapshot(db.sql), history: history.map((r) => r.version as string) };
}
