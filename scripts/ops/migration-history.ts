// Which migrations the target has applied, as the real Supabase CLI sees it
// (`supabase migration list --remote=<url> --output-format json`).
import { runSupabaseOrThrow } from "../shared/supabase-cli.ts";

export interface MigrationHistory {
  /** Versions in supabase/migrations and in the target's history. */
  applied: string[];
  /** Versions in supabase/migrations that the target has not applied, in order. */
  pending: string[];
  /** Versions in the target's history with no file here: the CLI refuses to push until repaired. */
  remoteOnly: string[];
}

interface CliMigrationRow {
  local: string;
  remote: string;
}

/** Pure: the CLI's JSON rows into applied / pending / remote-only. */
export function classifyMigrations(rows: CliMigrationRow[]): MigrationHistory {
  const history: MigrationHistory = { applied: [], pending: [], remoteOnly: [] };
  for (const row of rows) {
    if (row.local && row.remote) history.applied.push(row.local);
    else if (row.local) history.pending.push(row.local);
    else if (row.remote) history.remoteOnly.push(row.remote);
  }
  return history;
}

export async function migrationHistory(databaseUrl: string, projectDir?: string): Promise<MigrationHistory> {
  const result = await runSupabaseOrThrow(["migration", "list", `--remote=${databaseUrl}`, "--output-format", "json"], { cwd: projectDir });
  const start = result.stdout.indexOf("{");
  let parsed: { migrations?: CliMigrationRow[] };
  try {
    parsed = JSON.parse(result.stdout.slice(start));
  } catch {
    throw new Error(`could not read the output of supabase migration list:\n${result.output}`);
  }
  return classifyMigrations(parsed.migrations ?? []);
}
