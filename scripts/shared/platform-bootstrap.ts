// Creates Supabase's API roles and auth.* helpers on plain Postgres or PGlite (never on Supabase).
import { readFileSync } from "node:fs";
import { PLATFORM_BOOTSTRAP_SQL } from "./project-paths.ts";
import { runScript, type Sql } from "./database.ts";

/**
 * legacy: default privileges grant new public objects to anon, authenticated and service_role
 * (projects before late 2026). explicit: no grant until a migration gives one (late 2026 on).
 */
export type GrantRegime = "legacy" | "explicit";

export async function bootstrapPlatform(sql: Sql, regime: GrantRegime = "explicit"): Promise<void> {
  const script = readFileSync(PLATFORM_BOOTSTRAP_SQL, "utf8");
  await sql.begin(async (tx) => {
    await tx`select set_config('bootstrap.grant_regime', ${regime}, true)`;
    await runScript(tx, script);
  });
}
