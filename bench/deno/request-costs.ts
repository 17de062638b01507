// Where one flag lookup's time goes inside the function, on one thread in Deno, without HTTP: the
// function's own handler (functions/feature-flags/handler.ts) wired as index.ts wires it, but with
// flags served from memory, timed per request with each kind of credential and with
// authentication replaced by a stub; plus the pieces a request always pays. Prints JSON: for each
// measurement, microseconds per request for each run.
// Usage: deno run --config functions/feature-flags/deno.json --allow-env request-costs.ts <runs>
// (the function's import map; keys come from the environment, as in the function:
// SUPABASE_PUBLISHABLE_KEYS, SUPABASE_SECRET_KEYS, SUPABASE_JWKS, SUPABASE_URL)
import { verifyAuth } from "@supabase/server/core";
import { evaluateFlag } from "../../functions/_shared/rollout.ts";
import { createAuthenticator, credentialChecker, type Authenticator, type VerifyAuth } from "../../functions/feature-flags/auth.ts";
import { resolveAuthEnv } from "../../functions/feature-flags/auth-env.ts";
import { SUPABASE_CORS_HEADERS } from "../../functions/feature-flags/cors.ts";
import { loadConfig } from "../../functions/feature-flags/config.ts";
import type { FlagDatabase } from "../../functions/feature-flags/flag-database.ts";
import { FlagCache } from "../../functions/feature-flags/flag-cache.ts";
import { createHandler, type Handler } from "../../functions/feature-flags/handler.ts";

const runs = Number(Deno.args[0] ?? 3);
const REQUESTS = 10_000;
const env = Deno.env.toObject();
const credentials: Record<string, Record<string, string>> = {
  publishable: { apikey: env.BENCH_PUBLISHABLE_KEY! },
  secret: { apikey: env.BENCH_SECRET_KEY! },
  user: { authorization: `Bearer ${env.BENCH_USER_JWT!}` },
};
const flag = { key: "DLQ_ENABLED", enabled: true, rolloutPercentage: 5, bucketGroup: "DLQ_ENABLED" };
const store = new FlagCache({ load: () => Promise.resolve([flag]), ttlMs: 3_600_000, staleLimitMs: 3_600_000 });
const config = loadConfig({ ...env, SUPABASE_DB_URL: "postgresql://unused" });
const noDatabase = {} as FlagDatabase; // lookups never touch it: flags come from the store
const stubAuth: Authenticator = {
  reader: () => Promise.resolve({ data: { mode: "publishable", actor: "stub" }, error: null }),
  writer: () => Promise.resolve({ data: { mode: "secret", actor: "stub" }, error: null }),
} as Authenticator;
const handlerWith = (auth: Authenticator) => createHandler({ config, store, database: noDatabase, auth, supabaseCors: SUPABASE_CORS_HEADERS, log: () => {} });
const realHandler = handlerWith(createAuthenticator(credentialChecker(resolveAuthEnv((name) => env[name]), async () => verifyAuth as unknown as VerifyAuth)));
const stubbedHandler = handlerWith(stubAuth);

const requestFor = (i: number, headers: Record<string, string>) =>
  new Request(`http://127.0.0.1/feature-flags/DLQ_ENABLED?subject=tenant-${i}`, { headers });

async function microsecondsPer(work: (i: number) => Promise<unknown> | unknown): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < REQUESTS; i++) await work(i);
  return ((performance.now() - started) / REQUESTS) * 1000;
}

const lookup = (handler: Handler, headers: Record<string, string>) => async (i: number) => {
  const response = await handler(requestFor(i, headers));
  if (response.status !== 200) throw new Error(`lookup answered ${response.status}: ${await response.text()}`);
  await response.text();
};

const measurements: Record<string, (i: number) => Promise<unknown> | unknown> = {
  "handler.publishable": lookup(realHandler, credentials.publishable!),
  "handler.secret": lookup(realHandler, credentials.secret!),
  "handler.user": lookup(realHandler, credentials.user!),
  "handler.stub-auth": lookup(stubbedHandler, credentials.publishable!),
  "request-object": (i) => requestFor(i, credentials.publishable!),
  "evaluate": (i) => evaluateFlag(flag, `tenant-${i}`),
};

await store.snapshot();
const result: Record<string, number[]> = {};
for (const work of Object.values(measurements)) await microsecondsPer(work); // warm-up
for (let run = 0; run < runs; run++) {
  for (const [name, work] of Object.entries(measurements)) (result[name] ??= []).push(await microsecondsPer(work));
}
console.log(JSON.stringify(result));
