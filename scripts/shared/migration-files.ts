// The migrations in supabase/migrations, each with its rollback and verification script.
import { readdirSync, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { MIGRATIONS_DIR } from "./project-paths.ts";

export interface MigrationFile {
  /** The CLI's version: the 14-digit timestamp prefix. */
  version: string;
  /** The suffix after the version, e.g. create_job_dlq. */
  name: string;
  fileName: string;
  migrationPath: string;
  rollbackPath: string;
  verifyPath: string;
}

/** The CLI's own naming rule: <version>_<name>.sql with a numeric version. */
const MIGRATION_FILE_NAME = /^(\d{14})_(\w+)\.sql$/;

/** dir: a supabase/migrations folder; its rollback and verify scripts are in ../rollback and ../verify. */
export function listMigrations(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  const supabaseDir = path.dirname(dir);
  return readdirSync(dir)
    .filter((fileName) => fileName.endsWith(".sql"))
    .sort()
    .map((fileName) => {
      const match = MIGRATION_FILE_NAME.exec(fileName);
      if (!match) throw new Error(`${fileName} in ${dir} is not named <14-digit version>_<name>.sql`);
      return {
        version: match[1]!,
        name: match[2]!,
        fileName,
        migrationPath: path.join(dir, fileName),
        rollbackPath: path.join(supabaseDir, "rollback", fileName),
        verifyPath: path.join(supabaseDir, "verify", fileName),
      };
    });
}

export function findMigration(version: string, dir: string = MIGRATIONS_DIR): MigrationFile {
  const found = listMigrations(dir).find((m) => m.version === version || m.fileName.startsWith(version));
  if (!found) throw new Error(`no migration with version ${version} in supabase/migrations`);
  return found;
}

export function readSql(filePath: string): string {
  if (!existsSync(filePath)) throw new Error(`${filePath} does not exist`);
  return readFileSync(filePath, "utf8");
}
