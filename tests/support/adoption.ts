// An existing Supabase project adopting the kit, as its user does it: a folder made by the real
// `supabase init`, the user's own qc_jobs migration stamped with the current time and pushed,
// jobs in it, then `kit add` and a second `supabase db push` (without --include-all).
import { afterAll, beforeAll } from "vitest";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Sql } from "../../scripts/shared/database.ts";
import { runKit } from "../../scripts/kit/run-kit.ts";
import { versionOf } from "../../scripts/kit/migration-versions.ts";
import type { GrantRegime } from "../../scripts/shared/platform-bootstrap.ts";
import { dbPush, runSupabaseOrThrow } from "../../scripts/shared/supabase-cli.ts";
import { createTestDatabase, type TestDatabase } from "./test-database.ts";

/** A user's own qc_jobs in the kit's shape (uuid ids, text status, tenant_id), RLS on, readable by its tenant. */
export const KIT_SHAPED_QC_JOBS = `
create table public.qc_jobs (
  id uuid primary key default gen_random_uuid(),
  job_type text not null,
  status text not null default 'pending',
  payload jsonb not null default '{}',
  attempts integer not null default 0,
  max_attempts integer not null default 5,
  tenant_id text,
  locked_by text,
  started_at timestamptz,
  finished_at timestamptz,
  last_error text,
  priority integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.qc_jobs enable row level security;
create policy qc_jobs_owner_reads on public.qc_jobs for select to authenticated using (tenant_id = (select auth.uid())::text);
grant select on public.qc_jobs to authenticated;
`;

export interface ScratchProject {
  dir: string;
  /** The user's own migration's file name. */
  usersMigration: string;
  remove(): void;
}

/**
 * `supabase init` in a temp folder, plus the user's migration stamped now as `supabase migration
 * new` would (or with `version`, for an older history).
 */
export async function scratchProject(usersMigrationSql: string, version = versionOf(new Date())): Promise<ScratchProject> {
  const dir = mkdtempSync(path.join(tmpdir(), "rrk-adopt-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    await runSupabaseOrThrow(["init"], { cwd: dir });
  } catch (error) {
    remove();
    throw error;
  }
  mkdirSync(path.join(dir, "supabase", "migrations"), { recursive: true });
  const usersMigration = `${version}_create_qc_jobs.sql`;
  writeFileSync(path.join(dir, "supabase", "migrations", usersMigration), usersMigrationSql);
  return { dir, usersMigration, remove };
}

export interface UserProject {
  readonly db: TestDatabase;
  readonly project: ScratchProject;
}

/**
 * A user's project for this test file (or describe block): a scratch project with the user's
 * migration and a fresh database it is pushed to (`push: false`: not pushed). Made before the
 * first test, both removed after the last, also when making them failed half-way.
 */
export function useUserProject(usersMigrationSql: string, options: { regime?: GrantRegime; version?: string; push?: boolean } = {}): UserProject {
  let db: TestDatabase | undefined;
  let project: ScratchProject | undefined;
  beforeAll(async () => {
    db = await createTestDatabase({ regime: options.regime });
    project = await scratchProject(usersMigrationSql, options.version);
    if (options.push === false) return;
    const first = await dbPush(db.url, { cwd: project.dir });
    if (first.exitCode !== 0) throw new Error(`supabase db push of the user's migration failed:\n${first.output}`);
  });
  afterAll(async () => {
    await db?.drop();
    project?.remove();
  });
  const made = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("useUserProject: the project exists from beforeAll to afterAll; use it inside a hook or test");
    return value;
  };
  return {
    get db() {
      return made(db);
    },
    get project() {
      return made(project);
    },
  };
}

/** Every file under the project's supabase/ (except the CLI's .temp) with its content. */
export function projectFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const full = path.join(folder, name);
      if (name === ".temp") continue;
      if (statSync(full).isDirectory()) walk(full);
      else files[path.relative(dir, full)] = readFileSync(full, "utf8");
    }
  };
  walk(path.join(dir, "supabase"));
  return files;
}

export async function kitAdd(args: string[]): Promise<{ code: number; output: string }> {
  let output = "";
  const code = await runKit(["add", ...args], { cwd: tmpdir(), write: (text) => (output += text), confirm: async () => false });
  return { code, output };
}

/** What must not change for the user: their policies and who may do what on qc_jobs. */
export async function accessOf(sql: Sql): Promise<unknown> {
  const policies = await sql`select policyname, cmd, roles::text[] as roles, qual, with_check from pg_policies
                             where schemaname = 'public' and tablename = 'qc_jobs' order by policyname`;
  const grants = await sql`select grantee, privilege_type from information_schema.role_table_grants
                           where table_schema = 'public' and table_name = 'qc_jobs' order by grantee, privilege_type`;
  const [rls] = await sql`select relrowsecurity, relforcerowsecurity from pg_class where oid = 'public.qc_jobs'::regclass`;
  return { policies, grants, rls };
}
