// Runs the real Supabase CLI (npm package `supabase`, pinned in package.json).
import { execFile } from "node:child_process";
import path from "node:path";
import { BIN_DIR, PROJECT_ROOT } from "./project-paths.ts";
import { cliConnectFailure, DatabaseConnectError } from "./connection-failure.ts";

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, in the order a terminal would mostly show them. */
  output: string;
}

export const SUPABASE_BIN = path.join(BIN_DIR, "supabase");

export function runSupabase(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      SUPABASE_BIN,
      args,
      {
        cwd: options.cwd ?? PROJECT_ROOT,
        // No telemetry prompts, no colour codes in what tests and the runbook parse.
        env: { ...process.env, NO_COLOR: "1", DO_NOT_TRACK: "1", SUPABASE_TELEMETRY_DISABLED: "1", ...options.env },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 5 * 60 * 1000,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") return reject(error);
        resolve({ exitCode: error ? Number(error.code) : 0, stdout, stderr, output: `${stdout}${stderr}` });
      },
    );
  });
}

/**
 * Fails when the CLI exits non-zero: with one line when it could not connect to the database,
 * else with the CLI's own output.
 */
export async function runSupabaseOrThrow(args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  const result = await runSupabase(args, options);
  if (result.exitCode !== 0) {
    throwIfNotConnected(result);
    throw new Error(`supabase ${args.filter((a) => !a.startsWith("--remote=")).join(" ")} exited ${result.exitCode}:\n${result.output}`);
  }
  return result;
}

/** Throws DatabaseConnectError (one line) when a failed CLI run could not connect to the database. */
export function throwIfNotConnected(result: CliResult): void {
  const failure = result.exitCode === 0 ? null : cliConnectFailure(result.output);
  if (failure) throw new DatabaseConnectError(failure);
}

/** `supabase db push --remote=<url>`: applies (or with dryRun, lists) pending migrations. */
export function dbPush(databaseUrl: string, options: { dryRun?: boolean; includeAll?: boolean; cwd?: string } = {}) {
  const args = ["db", "push", `--remote=${databaseUrl}`, "--yes"];
  if (options.dryRun) args.push("--dry-run");
  if (options.includeAll) args.push("--include-all");
  return runSupabase(args, { cwd: options.cwd });
}

/** `supabase migration repair --status reverted`: forgets that a version (or several, in one run) was applied. */
export function markReverted(databaseUrl: string, versions: string | readonly string[]) {
  return runSupabaseOrThrow(["migration", "repair", "--status", "reverted", ...[versions].flat(), `--remote=${databaseUrl}`, "--yes"]);
}

/** `supabase db advisors`: Supabase's own linter (splinter) over the schema. */
export function dbAdvisors(databaseUrl: string, failOn: "none" | "info" | "warn" | "error" = "warn") {
  return runSupabase(["db", "advisors", `--remote=${databaseUrl}`, "--type", "all", "--fail-on", failOn, "--output-format", "json"]);
}

/** The CLI's output as a terminal shows it: progress (stderr) first, then the result (stdout). */
export function cliOutputLines(result: CliResult): string[] {
  return `${result.stderr}${result.stdout}`.trim().split("\n");
}
