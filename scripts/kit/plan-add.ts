// What `kit add` writes into a project, computed without touching it: the kit's migrations (with
// their rollback and verify scripts) rendered for the project's qc_jobs and stamped after its
// latest version, skipping those an earlier run already wrote; the function with _shared/ beside
// it; the [functions.feature-flags] block of config.toml; and the manifest. Pure.
import { adaptQcJobs, ADAPT_SLUG } from "./adapt-qc-jobs.ts";
import { withFunctionBlock } from "./config-toml.ts";
import type { Adaptation } from "./infer-shape.ts";
import type { JobShape } from "./job-shape.ts";
import type { KitMigration } from "./kit-files.ts";
import { MANIFEST_ABOUT, MANIFEST_PATH, serializeManifest, type KitManifest } from "./kit-manifest.ts";
import { nextVersions } from "./migration-versions.ts";
import { renderTemplate } from "./render-template.ts";

export const BASELINE_SLUG = "create_qc_jobs_baseline";

export interface AddInputs {
  shape: JobShape;
  /** adapted: the project has its own qc_jobs (adapt migration instead of the baseline). */
  qcJobs: KitManifest["qcJobs"];
  /** For adapted: what the adapt migration adds to qc_jobs. */
  adaptation: Adaptation;
  manifest: KitManifest | null;
  kitMigrations: KitMigration[];
  /** Versions already in the project's supabase/migrations and in its database's history. */
  existingVersions: Array<string | null>;
  now: Date;
  /** Project-relative path -> content: the function's files. */
  functionFiles: Record<string, string>;
  configToml: string;
}

export interface PlannedFile {
  /** Relative to the project folder. */
  path: string;
  text: string;
}

export interface AddPlan {
  /** Every file the project should have, new migrations first (existing ones compare equal). */
  files: PlannedFile[];
  /** The kit migrations that are new to this project, as written. */
  newMigrations: string[];
  manifest: KitManifest;
}

interface MigrationTexts {
  slug: string;
  migration: string;
  rollback: string;
  verify: string;
}

function alreadyWritten(manifest: KitManifest | null, slug: string): boolean {
  if (!manifest) return false;
  if (slug === BASELINE_SLUG) return BASELINE_SLUG in manifest.migrations || ADAPT_SLUG in manifest.migrations;
  return slug in manifest.migrations;
}

export function planAdd(inputs: AddInputs): AddPlan {
  const pending = inputs.kitMigrations.filter((m) => !alreadyWritten(inputs.manifest, m.slug));
  const versions = nextVersions(inputs.existingVersions, inputs.now, pending.length);
  const migrations: Record<string, string> = { ...inputs.manifest?.migrations };
  const files: PlannedFile[] = [];
  const newMigrations: string[] = [];
  // Kit version -> the version it has in this project, so that the comments naming another kit
  // migration ("roll back 20261125100700 first") name the project's file.
  const projectVersion = new Map<string, string>();
  for (const kit of inputs.kitMigrations) {
    const i = pending.indexOf(kit);
    const written = inputs.manifest?.migrations[kit.slug] ?? (kit.slug === BASELINE_SLUG ? inputs.manifest?.migrations[ADAPT_SLUG] : undefined);
    const version = i >= 0 ? versions[i] : written?.slice(0, 14);
    if (version) projectVersion.set(kit.version, version);
  }
  const renumber = (text: string) => text.replace(/\b\d{14}\b/g, (version) => projectVersion.get(version) ?? version);

  pending.forEach((kit, i) => {
    const adapting = kit.slug === BASELINE_SLUG && inputs.qcJobs === "adapted";
    const slug = adapting ? ADAPT_SLUG : kit.slug;
    const fileName = `${versions[i]}_${slug}.sql`;
    let texts: MigrationTexts;
    if (adapting) {
      texts = { slug, ...adaptQcJobs(inputs.shape, inputs.adaptation, fileName) };
    } else {
      const render = (kind: keyof typeof kit.files) => {
        const file = kit.files[kind];
        return renumber(file.templatePath ? renderTemplate(file.source, inputs.shape, file.templatePath) : file.source);
      };
      texts = { slug, migration: render("migrations"), rollback: render("rollback"), verify: render("verify") };
    }
    files.push(
      { path: `supabase/migrations/${fileName}`, text: texts.migration },
      { path: `supabase/rollback/${fileName}`, text: texts.rollback },
      { path: `supabase/verify/${fileName}`, text: texts.verify },
    );
    migrations[slug] = fileName;
    newMigrations.push(fileName);
  });

  for (const [path, text] of Object.entries(inputs.functionFiles)) files.push({ path, text });
  files.push({ path: "supabase/config.toml", text: withFunctionBlock(inputs.configToml) });
  const manifest: KitManifest = { about: MANIFEST_ABOUT, qcJobs: inputs.qcJobs, shape: inputs.shape, migrations };
  files.push({ path: MANIFEST_PATH, text: serializeManifest(manifest) });
  return { files, newMigrations, manifest };
}
