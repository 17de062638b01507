// Re-renders the kit's own SQL files from their templates with the kit's own qc_jobs shape.
// After editing a template, `npm run kit -- render-own` writes the files; the test
// tests/unit/kit/templates.test.ts fails while a kit file differs from its rendered template.
import { readFileSync, writeFileSync } from "node:fs";
import { DEFAULT_JOB_SHAPE } from "./job-shape.ts";
import { listKitMigrations, type KitSqlFile } from "./kit-files.ts";
import { renderTemplate } from "./render-template.ts";

export interface OwnFileRender {
  file: KitSqlFile;
  rendered: string;
  current: string;
}

/** Every templated kit file with its template rendered for the kit's own shape, and its current text. */
export function renderOwnFiles(): OwnFileRender[] {
  return listKitMigrations().flatMap((migration) =>
    Object.values(migration.files)
      .filter((file) => file.templatePath !== null)
      .map((file) => ({
        file,
        rendered: renderTemplate(file.source, DEFAULT_JOB_SHAPE, file.templatePath!),
        current: readFileSync(file.path, "utf8"),
      })),
  );
}

/** Writes the kit files that differ from their rendered template; returns their paths. */
export function writeOwnFiles(): string[] {
  const changed = renderOwnFiles().filter((r) => r.rendered !== r.current);
  for (const r of changed) writeFileSync(r.file.path, r.rendered);
  return changed.map((r) => r.file.path);
}
