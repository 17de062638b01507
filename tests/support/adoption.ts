// An existing Supabase project adopting the kit, as its user does it: a folder made by the real
// `supabase init`, the user's own qc_jobs migration stamped with the current time and pushed,
// jobs in it, then `kit add` and a second `supabase db push` (without --include-all).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Sql } from "../../scripts/shared/database.ts";
import { runKit } from "../../scripts/kit/run-kit.ts";
import { versionOf } from "../../scripts/kit/migration-versions.ts";
import { runSupabaseOrThrow } from "../../scripts/shared/supabase-cli.ts";

export interface ScratchProject {
  dir: string;
  /** The user's own migration's file name. */
  usersMigration: string;
  remove(): void;
}

/** `supabase init` in a temp folder, plus the user's migration stamped now, as `supabase migration new` would. */
export async function scratchProject(usersMigrationSql: string): Promise<ScratchProject> {
  const dir = mkdtempSync(path.join(tmpdir(), "rrk-adopt-"));
  await runSupabaseOrThrow(["init"], { cwd: dir });
  mkdirSync(path.join(dir, "supabase", "migrations"), { recursive: true });
  const usersMigration = `${versionOf(new Date())}_create_qc_jobs.sql`;
  writeFileSync(path.join(dir, "supabase", "migrations", usersMigration), usersMigrationSql);
  return { dir, usersMigration, remove: () => rmSync(dir, { recursive: true, force: true }) };
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

/**
 * Makes the watchdog willing to act: JOB_HEARTBEAT on for everyone and changed long enough ago
 * (the stamp trigger would set now(), so it is bypassed for this one update).
 */
export async function heartbeatFlagSettled(sql: Sql): Promise<void> {
  await sql`update public.feature_flags set enabled = true, rollout_percentage = 100`;
  await sql.begin(async (tx) => {
    await tx`alter table public.feature_flags disable trigger feature_flags_stamp`;
    await tx`update public.feature_flags set updated_at = now() - interval '1 hour'`;
    await tx`alter table public.feature_flags enable trigger feature_flags_stamp`;
  });
}
