// The kit's own SQL files and their templates, read from this repository.
//
// A kit file that depends on the shape of qc_jobs has a template at
// supabase/templates/<kind>/<slug>.sql (slug: the file name without its version and underscore);
// the kit's own file is that template rendered with the kit's own shape. A file with no template
// does not depend on the shape and is used as it is.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { SUPABASE_DIR } from "../shared/project-paths.ts";
import { listMigrations } from "../shared/migration-files.ts";

export const TEMPLATE_KINDS = ["migrations", "rollback", "verify"] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

export const TEMPLATES_DIR = path.join(SUPABASE_DIR, "templates");

export interface KitSqlFile {
  kind: TemplateKind;
  /** The kit's own file, e.g. supabase/migrations/20261125100610_create_job_worker_rpcs.sql. */
  path: string;
  /** Its template, when the file depends on the shape of qc_jobs. */
  templatePath: string | null;
  /** The template's text, or the file's own text where there is no template. */
  source: string;
}

export interface KitMigration {
  version: string;
  /** The name without its version, e.g. create_job_worker_rpcs. */
  slug: string;
  files: Record<TemplateKind, KitSqlFile>;
}

export function templatePath(kind: TemplateKind, slug: string, supabaseDir = SUPABASE_DIR): string {
  return path.join(supabaseDir, "templates", kind, `${slug}.sql`);
}

/** Every kit migration in version order, with its rollback and verify scripts and their templates. */
export function listKitMigrations(supabaseDir = SUPABASE_DIR): KitMigration[] {
  return listMigrations(path.join(supabaseDir, "migrations")).map((migration) => {
    const own: Record<TemplateKind, string> = {
      migrations: migration.migrationPath,
      rollback: migration.rollbackPath,
      verify: migration.verifyPath,
    };
    const files = Object.fromEntries(
      TEMPLATE_KINDS.map((kind) => {
        const template = templatePath(kind, migration.name, supabaseDir);
        const templateExists = existsSync(template);
        const file: KitSqlFile = {
          kind,
          path: own[kind],
          templatePath: templateExists ? template : null,
          source: readFileSync(templateExists ? template : own[kind], "utf8"),
        };
        return [kind, file];
      }),
    ) as Record<TemplateKind, KitSqlFile>;
    return { version: migration.version, slug: migration.name, files };
  });
}

/** Templates whose slug matches no kit migration (a typo, or a migration renamed). */
export function orphanTemplates(supabaseDir = SUPABASE_DIR): string[] {
  const slugs = new Set(listMigrations(path.join(supabaseDir, "migrations")).map((m) => m.name));
  return TEMPLATE_KINDS.flatMap((kind) => {
    const dir = path.join(supabaseDir, "templates", kind);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((name) => name.endsWith(".sql") && !slugs.has(name.slice(0, -".sql".length)))
      .map((name) => path.join(dir, name));
  });
}
