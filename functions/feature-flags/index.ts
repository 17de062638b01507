// The feature-flags edge function: a thin shell that wires the runtime (Deno's environment,
// postgres.js, @supabase/server, supabase-js's CORS headers) into handler.ts.
// Deployed with `supabase functions deploy feature-flags` (supabase/config.toml points here).

import postgres from "postgres";
import { corsHeaders } from "@supabase/supabase-js/cors";
import { createAuthenticator, type VerifyAuth } from "./auth.ts";
import { loadConfig } from "./config.ts";
import { createFlagDatabase, type SqlClient } from "./flag-database.ts";
import { FlagCache } from "./flag-cache.ts";
import { createHandler } from "./handler.ts";

const config = loadConfig(Deno.env.toObject());
for (const { error } of config.invalidOverrides) console.error(`feature-flags: ignored override: ${error}`);

// Module level, so the connection and the cache live as long as the isolate.
const connectionOptions = {
  prepare: false,
  max: 1,
  connect_timeout: Math.ceil(config.databaseTimeoutMs / 1000),
  onnotice: () => {},
};
const sql = postgres(config.databaseUrl, { ...connectionOptions, idle_timeout: 60, connection: { application_name: "feature-flags function" } });
// Opened only to settle a flag change whose COMMIT got no answer (see truthful-transaction.ts).
const freshConnection = () => {
  const fresh = postgres(config.databaseUrl, { ...connectionOptions, connection: { application_name: "feature-flags function (settling a change)" } });
  return { sql: fresh as unknown as SqlClient, end: () => fresh.end({ timeout: 1 }) };
};
const database = createFlagDatabase(sql as unknown as SqlClient, config.databaseTimeoutMs, freshConnection);
const store = new FlagCache({
  load: database.readFlags,
  ttlMs: config.cacheTtlMs,
  staleLimitMs: config.staleLimitMs,
  onLoadError: (error) => console.error(`feature-flags: reading flags failed: ${error instanceof Error ? error.message : String(error)}`),
});

// Cold start: the first flags read starts now, while @supabase/server is imported (it loads all of
// supabase-js and jose, most of the start time): the first answer waits for the longer of the two
// instead of both in turn. The read's outcome is kept by the store; a failure is served as usual.
void store.snapshot();
const { resolveEnv, verifyAuth } = await import("@supabase/server/core");

// Keys and JWKS are read and parsed once per isolate, not on every verifyAuth call. When the
// environment is incomplete, verifyAuth is left to read it per request and answer not_configured.
const { data: authEnv } = resolveEnv();

/** The function's handler; `target` lets npm start's local gateway pass the stripped path. */
export const handle = createHandler({
  config,
  store,
  database,
  auth: createAuthenticator(verifyAuth as unknown as VerifyAuth, authEnv ?? {}),
  supabaseCors: corsHeaders,
});

// Deno.serve passes connection info as the second argument: only the request goes on.
export default { fetch: (request: Request) => handle(request) };
