// The feature-flags function for tests, on a database of theirs (pushed-database.ts): local keys,
// the handler wired in-process (Node), and the real Deno server over HTTP.
import { verifyAuth } from "@supabase/server/core";
import { createAuthenticator, credentialChecker, type VerifyAuth } from "../../functions/feature-flags/auth.ts";
import { resolveAuthEnv } from "../../functions/feature-flags/auth-env.ts";
import { SUPABASE_CORS_HEADERS } from "../../functions/feature-flags/cors.ts";
import { loadConfig } from "../../functions/feature-flags/config.ts";
import { createFlagDatabase, type SqlClient } from "../../functions/feature-flags/flag-database.ts";
import { FlagCache } from "../../functions/feature-flags/flag-cache.ts";
import { createHandler } from "../../functions/feature-flags/handler.ts";
import { connect } from "../../scripts/shared/database.ts";
import { freePort } from "../../scripts/local/embedded-postgres.ts";
import { startFunctionServer, type FunctionServer, type FunctionServerOptions } from "../../scripts/local/function-server.ts";
import { authEnvironment, generateLocalKeys, type LocalKeys } from "../../scripts/local/local-keys.ts";

/** The handler in this Node process, with real postgres.js and @supabase/server. */
export function inProcessFunction(databaseUrl: string, keys: LocalKeys, env: Record<string, string> = {}) {
  const config = loadConfig({ SUPABASE_DB_URL: databaseUrl, ...env });
  const sql = connect(databaseUrl);
  const freshConnection = () => {
    const fresh = connect(databaseUrl);
    return { sql: fresh as unknown as SqlClient, end: () => fresh.end({ timeout: 1 }) };
  };
  const database = createFlagDatabase(sql as unknown as SqlClient, config.databaseTimeoutMs, freshConnection);
  const store = new FlagCache({ load: database.readFlags, ttlMs: config.cacheTtlMs, staleLimitMs: config.staleLimitMs });
  const auth = createAuthenticator(credentialChecker(resolveAuthEnv((name) => authEnvironment(keys, "http://127.0.0.1:54321")[name]), async () => verifyAuth as unknown as VerifyAuth));
  const logged: string[] = [];
  const handle = createHandler({ config, store, database, auth, supabaseCors: SUPABASE_CORS_HEADERS, log: (line) => logged.push(line) });
  return { handle, store, logged, close: () => sql.end({ timeout: 5 }) };
}

/** The real Deno server (behind the local /functions/v1 gateway) for this database. */
export async function denoFunction(
  databaseUrl: string,
  keys: LocalKeys,
  env: Record<string, string> = {},
  readyWhen?: FunctionServerOptions["readyWhen"],
): Promise<FunctionServer> {
  const port = await freePort();
  return startFunctionServer({
    port,
    env: { SUPABASE_DB_URL: databaseUrl, ...authEnvironment(keys, `http://127.0.0.1:${port}`), ...env },
    readyWhen,
  });
}

export { generateLocalKeys, type LocalKeys };
