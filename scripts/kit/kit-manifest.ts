// supabase/reliability-kit.json in an adopted project: the answers the kit's SQL was rendered with
// and which kit migrations were written under which file name, so that a later `kit add` (an
// upgrade) renders new migrations for the same shape and never writes a second copy. Pure.
import { JOB_ID_TYPES, ShapeError, STATUS_ROLES, validateShape, type JobShape } from "./job-shape.ts";

export const MANIFEST_PATH = "supabase/reliability-kit.json";

export interface KitManifest {
  about: string;
  /** created: no qc_jobs existed, the kit's baseline made one; adapted: the project's own table. */
  qcJobs: "created" | "adapted";
  shape: JobShape;
  /** Kit migration slug -> the file name it was written under in supabase/migrations. */
  migrations: Record<string, string>;
}

export const MANIFEST_ABOUT =
  "Written by `npm run kit -- add` (supabase reliability rollout kit): the qc_jobs shape its migrations were rendered for, and the migrations it wrote. Keep it in version control.";

export function serializeManifest(manifest: KitManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export function parseManifest(text: string, source = MANIFEST_PATH): KitManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ShapeError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  const m = value as Partial<KitManifest>;
  const shape = m?.shape as JobShape | undefined;
  if (
    !m || typeof m !== "object" || (m.qcJobs !== "created" && m.qcJobs !== "adapted") ||
    !shape || !JOB_ID_TYPES.includes(shape.jobIdType) || typeof shape.status !== "object" ||
    !STATUS_ROLES.every((role) => role in shape.status) || typeof m.migrations !== "object" || m.migrations === null
  ) {
    throw new ShapeError(`${source} is not a reliability kit manifest (expected qcJobs, shape and migrations)`);
  }
  validateShape(shape);
  return { about: MANIFEST_ABOUT, qcJobs: m.qcJobs, shape, migrations: { ...m.migrations } };
}
