// The feature-flags edge function: a thin shell that wires the runtime (Deno's environment and
// sockets, postgres.js, @supabase/server, supabase-js's CORS headers as cors.ts has them) into
// handler.ts.
//
// Cold start: the module loads only what the first answer needs (the handler, the wire-protocol
// reader of first-read.ts), no node: module and no npm: package, and starts the first flags
// read at once.
// postgres.js is not among them: importing it (node:stream, node:net ...) took longer than the
// rest of the start, so reads go over Deno.connect without it until it is loaded: postgres.js
// is imported right after the first answer (or when a write or a health check needs it first)
// and serves every read from then on. A database the wire reader cannot talk to (TLS, MD5
// passwords ...) is read with postgres.js from the start.
// @supabase/server is not loaded either: it loads all of supabase-js and jose, and the common
// caller (app code with the publishable key) needs none of it, as API keys are checked in
// auth.ts. It is imported when a user JWT first needs checking, or, when JWTs can be checked at
// all (a JWKS is configured), right after the first answer, so a later JWT caller finds it loaded.
// Deployed with `supabase functions deploy feature-flags` (supabase/config.toml points here).

import { createAuthenticator, credentialChecker, type VerifyAuth } from "./auth.ts";
import { SUPABASE_CORS_HEADERS } from "./cors.ts";
import { resolveAuthEnv } from "./auth-env.ts";
import { loadConfig } from "./config.ts";
import { deferredFlagDatabase } from "./deferred-database.ts";
import type { FlagDatabase, SqlClient } from "./flag-database.ts";
import { FlagCache } from "./flag-cache.ts";
import { readFlagsOverWire, wireTarget } from "./first-read.ts";
import { createHandler } from "./handler.ts";
import { after } from "./start-timer.ts";

const config = loadConfig(Deno.env.toObject());
for (const { error } of config.invalidOverrides) console.error(`feature-flags: ignored override: ${error}`);

// postgres.js, created once per isolate, so its connection and the cache live as long as the isolate.
async function loadPostgresDatabase(): Promise<FlagDatabase> {
  const [{ default: postgres }, { createFlagDatabase }] = await Promise.all([import("postgres"), import("./flag-database.ts")]);
  const connectionOptions = {
    prepare: false,
    max: 1,
    connect_timeout: Math.ceil(config.databaseTimeoutMs / 1000),
    onnotice: () => {},
    // No query here sends or reads an array, so the pg_type lookup postgres.js otherwise makes
    // before a connection's first query (to parse arrays) would only delay the answer.
    fetch_types: false,
  };
  const sql = postgres(config.databaseUrl, { ...connectionOptions, idle_timeout: 60, connection: { application_name: "feature-flags function" } });
  // Opened only to settle a flag change whose COMMIT got no answer (see truthful-transaction.ts).
  const freshConnection = () => {
    const fresh = postgres(config.databaseUrl, { ...connectionOptions, connection: { application_name: "feature-flags function (settling a change)" } });
    return { sql: fresh as unknown as SqlClient, end: () => fresh.end({ timeout: 1 }) };
  };
  return createFlagDatabase(sql as unknown as SqlClient, config.databaseTimeoutMs, freshConnection);
}

const database = deferredFlagDatabase({
  wireRead: async () => {
    const target = wireTarget(config.databaseUrl, (name) => Deno.env.get(name));
    return readFlagsOverWire(target, config.databaseTimeoutMs, (hostname, port) => Deno.connect({ hostname, port }));
  },
  load: loadPostgresDatabase,
});
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
  supabaseCors: SUPABASE_CORS_HEADERS,
});

// Loaded after the first answer: postgres.js always, @supabase/server where a JWT can be checked.
// Not on the next tick: an import holds the thread for tens of milliseconds, and Deno writes the
// answer on that same thread, so a timer of 0 may run first; a pause lets that answer, and
// requests that came with it, go out first.
const PRELOAD_DELAY_MS = 100;
let preloadPending = true;
const logFailure = (what: string) => (error: unknown) => console.error(`feature-flags: loading ${what} failed: ${error instanceof Error ? error.message : String(error)}`);
// (start-timer.ts, not setTimeout: the first setTimeout loads Node's timers, ~14 ms, which would
// run before the first answer is written.)
const preload = () =>
  void after(PRELOAD_DELAY_MS, () => {
    database.preload().catch(logFailure("postgres.js"));
    if (authEnv.data?.jwks != null) loadVerifyAuth().catch(logFailure("@supabase/server"));
  });

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
