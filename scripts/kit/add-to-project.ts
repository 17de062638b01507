// `npm run kit -- add`: adds the kit to an existing Supabase project (the edge: reads the project
// and the database, prints the plan, writes it). The decisions are in infer-shape.ts and
// plan-add.ts; nothing is written before every question about qc_jobs has an answer.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { connect } from "../shared/database.ts";
import { PROJECT_ROOT } from "../shared/project-paths.ts";
import { NO_ADAPTATION } from "./adapt-qc-jobs.ts";
import { inferShape, type Adaptation, type ShapeAnswers } from "./infer-shape.ts";
import { DEFAULT_JOB_SHAPE, ShapeError, STATUS_ROLES, type JobShape } from "./job-shape.ts";
import { listKitMigrations } from "./kit-files.ts";
import { MANIFEST_PATH, parseManifest, type KitManifest } from "./kit-manifest.ts";
import { versionsOf } from "./migration-versions.ts";
import { planAdd, type AddPlan } from "./plan-add.ts";
import { latestAppliedVersion, readQcJobs } from "./read-qc-jobs.ts";

export interface AddOptions {
  projectDir: string;
  databaseUrl?: string;
  answers: ShapeAnswers;
  dryRun: boolean;
  now: Date;
  write(text: string): void;
  /** Asked before writing (unless --yes); false: nothing is written. */
  confirm(question: string): Promise<boolean>;
}

export type FileAction = "create" | "update" | "unchanged";

export interface AddResult {
  plan: AddPlan;
  actions: Array<{ path: string; action: FileAction }>;
  written: boolean;
}

/**
 * The feature-flags function with functions/_shared beside it (its imports are ../_shared/...),
 * and its deno.json (the import map pinning its npm packages), the same files the kit serves.
 */
export function functionFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const folder of ["feature-flags", "_shared"]) {
    const dir = path.join(PROJECT_ROOT, "functions", folder);
    for (const name of readdirSync(dir).sort()) {
      files[`supabase/functions/${folder}/${name}`] = readFileSync(path.join(dir, name), "utf8");
    }
  }
  return files;
}

function mentionsQcJobs(migrationsDir: string): string[] {
  if (!existsSync(migrationsDir)) return [];
  return readdirSync(migrationsDir)
    .filter((name) => name.endsWith(".sql") && /\bqc_jobs\b/.test(readFileSync(path.join(migrationsDir, name), "utf8")))
    .sort();
}

function describe(shape: JobShape): string {
  const words = STATUS_ROLES.map((role) => `${role}=${shape.status[role] ?? "(none)"}`).join(", ");
  const id = { default: "", identity_always: " (generated always as identity)", none: " (no default: the app gives ids)" }[shape.jobIdDefault];
  return `id ${shape.jobIdType}${id}, status ${words}, flag subject ${shape.tenantColumn ?? "the job's id"}`;
}

function sameAnswers(recorded: JobShape, answers: ShapeAnswers): string | null {
  for (const [role, word] of Object.entries(answers.statusWords ?? {})) {
    if (recorded.status[role as keyof JobShape["status"]] !== word) {
      return `--job-status ${role}=${word}, but the kit's migrations here were written for ${role}=${recorded.status[role as keyof JobShape["status"]]}`;
    }
  }
  if (answers.tenantColumn !== undefined && answers.tenantColumn !== recorded.tenantColumn) {
    return `--tenant-column ${answers.tenantColumn ?? "none"}, but the kit's migrations here were written for ${recorded.tenantColumn ?? "none"}`;
  }
  return null;
}

interface Decided {
  shape: JobShape;
  qcJobs: KitManifest["qcJobs"];
  adaptation: Adaptation;
  remoteLatest: string | null;
}

/** What the kit's SQL is rendered for: the manifest's answers, else the database's qc_jobs. */
async function decideShape(options: AddOptions, manifest: KitManifest | null, migrationsDir: string): Promise<Decided> {
  const { write } = options;
  const sql = options.databaseUrl ? connect(options.databaseUrl) : null;
  try {
    const remoteLatest = sql ? await latestAppliedVersion(sql) : null;
    if (manifest) {
      const conflict = sameAnswers(manifest.shape, options.answers);
      if (conflict) throw new ShapeError(`${conflict} (${MANIFEST_PATH}). Migrations already written keep their shape.`);
      write(`qc_jobs: as recorded in ${MANIFEST_PATH} (${manifest.qcJobs}): ${describe(manifest.shape)}\n`);
      return { shape: manifest.shape, qcJobs: manifest.qcJobs, adaptation: NO_ADAPTATION, remoteLatest };
    }
    const table = sql ? await readQcJobs(sql) : null;
    if (table) {
      const inferred = inferShape(table, options.answers);
      write(`qc_jobs: found in the database: ${describe(inferred.shape)}\n`);
      for (const note of inferred.notes) write(`  note: ${note}\n`);
      write(inferred.addColumns.length === 0
        ? "  it has every column the kit uses\n"
        : `  the kit adds the columns it lacks: ${inferred.addColumns.map((c) => c.name).join(", ")}\n`);
      if (inferred.addClaimIndex) write("  no index of qc_jobs leads with status: the kit builds one on (status, run_after) for claim_jobs (concurrently)\n");
      return { shape: inferred.shape, qcJobs: "adapted", adaptation: inferred, remoteLatest };
    }
    const mentions = mentionsQcJobs(migrationsDir);
    if (mentions.length > 0) {
      throw new ShapeError(
        sql
          ? `supabase/migrations/${mentions[0]} names qc_jobs, but the database at --db-url has no public.qc_jobs: push your migrations there first (npx supabase db push --db-url ...), then run kit add again`
          : `supabase/migrations/${mentions[0]} names qc_jobs: pass --db-url <a database with your migrations applied> so the kit reads the table's shape (its id type, status words, columns)`,
      );
    }
    if (options.answers.statusWords || options.answers.tenantColumn !== undefined) {
      throw new ShapeError("there is no qc_jobs: the kit creates its own (with its own words and tenant_id), so --job-status and --tenant-column do not apply");
    }
    write(`qc_jobs: none${sql ? " in the database" : ""} and none in supabase/migrations: the kit's baseline creates it (${describe(DEFAULT_JOB_SHAPE)})\n`);
    return { shape: DEFAULT_JOB_SHAPE, qcJobs: "created", adaptation: NO_ADAPTATION, remoteLatest };
  } finally {
    await sql?.end({ timeout: 5 });
  }
}

export async function addToProject(options: AddOptions): Promise<AddResult> {
  const { projectDir, write } = options;
  const configPath = path.join(projectDir, "supabase", "config.toml");
  if (!existsSync(configPath)) {
    throw new ShapeError(`${projectDir} has no supabase/config.toml: run \`npx supabase init\` there first (or pass --project <your project folder>)`);
  }
  const manifestFile = path.join(projectDir, MANIFEST_PATH);
  const manifest = existsSync(manifestFile) ? parseManifest(readFileSync(manifestFile, "utf8"), manifestFile) : null;
  const migrationsDir = path.join(projectDir, "supabase", "migrations");
  const decided = await decideShape(options, manifest, migrationsDir);

  const plan = planAdd({
    shape: decided.shape,
    qcJobs: decided.qcJobs,
    adaptation: decided.adaptation,
    manifest,
    kitMigrations: listKitMigrations(),
    existingVersions: [...versionsOf(existsSync(migrationsDir) ? readdirSync(migrationsDir) : []), decided.remoteLatest],
    now: options.now,
    functionFiles: functionFiles(),
    configToml: readFileSync(configPath, "utf8"),
  });

  const actions = plan.files.map((file) => {
    const target = path.join(projectDir, file.path);
    const current = existsSync(target) ? readFileSync(target, "utf8") : null;
    const action: FileAction = current === null ? "create" : current === file.text ? "unchanged" : "update";
    return { path: file.path, action };
  });
  // On a first run, a function file that exists and differs is the project's own: never overwrite it.
  // (After a first run the files are the kit's, and an upgrade updates them.)
  const clash = manifest ? undefined : actions.find((a) => a.action === "update" && a.path.startsWith("supabase/functions/"));
  if (clash) {
    throw new ShapeError(`${clash.path} exists and is not the kit's: move or rename it (the kit writes its function to supabase/functions/feature-flags and supabase/functions/_shared)`);
  }
  const changes = actions.filter((a) => a.action !== "unchanged");
  for (const change of changes) write(`  ${change.action.padEnd(6)} ${change.path}\n`);
  const unchanged = actions.length - changes.length;
  write(`${changes.length} file(s) to write, ${unchanged} already up to date.\n`);
  if (plan.newMigrations.length === 0) write("No new kit migration: every kit migration is already in this project.\n");

  if (changes.length === 0 || options.dryRun) {
    if (options.dryRun && changes.length > 0) write("Dry run: nothing written.\n");
    return { plan, actions, written: false };
  }
  if (!(await options.confirm(`Write these ${changes.length} file(s) into ${projectDir}?`))) {
    write("Nothing written (not confirmed; pass --yes to write without asking).\n");
    return { plan, actions, written: false };
  }
  for (const file of plan.files) {
    if (actions.find((a) => a.path === file.path)!.action === "unchanged") continue;
    const target = path.join(projectDir, file.path);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, file.text);
  }
  write(`Wrote ${changes.length} file(s).\n`);
  if (plan.newMigrations.length > 0) {
    write(
      [
        "Next:",
        "  1. review the new migrations (git diff), then",
        "  2. npx supabase db push --remote=<url> --dry-run     (lists exactly the new files)",
        "  3. npx supabase db push --remote=<url>",
        "  4. npx supabase functions deploy feature-flags",
        "",
      ].join("\n"),
    );
  }
  return { plan, actions, written: true };
}
