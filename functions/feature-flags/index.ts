// The feature-flags edge function: a thin shell that wires the runtime (Deno's environment,
// postgres.js, @supabase/server, supabase-js's CORS headers) into handler.ts.
//
// Cold start: the module loads only what the first answer needs (postgres.js, the handler, the
// tiny CORS module) and starts the first flags read at once. @supabase/server is not among them:
// it loads all of supabase-js and jose, which took most of the start, and the common caller (app
// code with the publishable key) needs none of it, as API keys are checked in auth.ts. It is
// imported when a user JWT first needs checking, or, when JWTs can be checked at all (a JWKS is
// configured), right after the first answer, so a later JWT caller finds it loaded.
// Deployed with `supabase functions deploy feature-flags` (supabase/config.toml points here).

import postgres from "postgres";
import { corsHeaders } from "@supabase/supabase-js/cors";
import { createAuthenticator, credentialChecker, type VerifyAuth } from "./auth.ts";
import { resolveAuthEnv } from "./auth-env.ts";
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
  // No query here sends or reads an array, so the pg_type lookup postgres.js otherwise makes
  // before a connection's first query (to parse arrays) would only delay the first answer.
  fetch_types: false,
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

// The first flags read starts now; the first request waits for it (the store keeps its outcome, a
// failure is served as usual).
void store.snapshot();

// Keys and JWKS are read once per isolate, not on every request.
const authEnv = resolveAuthEnv((name) => Deno.env.get(name));
let verifyAuthLoading: Promise<VerifyAuth> | undefined;
const loadVerifyAuth = (): Promise<VerifyAuth> =>
  (verifyAuthLoading ??= import("@supabase/server/core").then(
    ({ verifyAuth }) => verifyAuth as unknown as VerifyAuth,
    (error) => {
      verifyAuthLoading = undefined; // the next JWT tries again
      throw error;
    },
  ));

const handleRequest = createHandler({
  config,
  store,
  database,
  auth: createAuthenticator(credentialChecker(authEnv, loadVerifyAuth)),
  supabaseCors: corsHeaders,
});

// Loaded after the first answer, only where a JWT can be checked. Not on the next tick: the import
// holds the thread for tens of milliseconds, and Deno writes the answer on that same thread, so a
// timer of 0 may run first; a pause lets that answer, and requests that came with it, go out first.
const PRELOAD_DELAY_MS = 100;
let preloadPending = authEnv.data?.jwks != null;
const preload = () =>
  setTimeout(() => {
    loadVerifyAuth().catch((error) => console.error(`feature-flags: loading @supabase/server failed: ${error instanceof Error ? error.message : String(error)}`));
  }, PRELOAD_DELAY_MS);

/** The function's handler; `target` lets npm start's local gateway pass the stripped path. */
export const handle: typeof handleRequest = (request, target) => {
  const answer = handleRequest(request, target);
  if (preloadPending) {
    preloadPending = false;
    Promise.resolve(answer).then(preload, preload);
  }
  return answer;
};

// Deno.serve passes connection info as the second argument: only the request goes on.
export default { fetch: (request: Request) => handle(request) };
