// The function checks API keys itself and loads @supabase/server only for user JWTs (auth.ts,
// auth-env.ts), so that a cold start with a key does not wait for supabase-js and jose. Here its
// answers are compared with @supabase/server's own (resolveEnv, and verifyAuth with the same
// modes, reading the same environment) over environments that differ in every way resolveEnv
// tells apart and requests that reach every branch of verifyAuth's modes: the same caller, key
// name and status every time, before @supabase/server was loaded and after. No database.
import { resolveEnv, verifyAuth } from "@supabase/server/core";
import { afterEach, describe, expect, it } from "vitest";
import { credentialChecker, READERS, WRITERS, type Mode, type Verified, type VerifyAuth } from "../../../functions/feature-flags/auth.ts";
import { resolveAuthEnv } from "../../../functions/feature-flags/auth-env.ts";
import { authEnvironment, generateLocalKeys, signUserJwt } from "../../../scripts/local/local-keys.ts";

const keys = generateLocalKeys();
const other = generateLocalKeys();
const local = authEnvironment(keys, "http://127.0.0.1:54321");
const jwks = local.SUPABASE_JWKS!;
// A loopback port of this test's range with nothing listening: a remote JWKS that cannot be read.
const unreachableJwksUrl = "http://127.0.0.1:19199/auth/v1/.well-known/jwks.json";

type Env = Record<string, string>;
const ENVIRONMENTS: Record<string, Env> = {
  "as npm start sets it": local,
  "two named publishable keys": { ...local, SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.publishableKey, mobile: other.publishableKey }) },
  "singular variables": { SUPABASE_URL: local.SUPABASE_URL!, SUPABASE_PUBLISHABLE_KEY: keys.publishableKey, SUPABASE_SECRET_KEY: keys.secretKey, SUPABASE_JWKS: jwks },
  "plural beside singular: plural wins": { ...local, SUPABASE_PUBLISHABLE_KEY: other.publishableKey, SUPABASE_SECRET_KEY: other.secretKey },
  "malformed plural hides the singular": { ...local, SUPABASE_PUBLISHABLE_KEYS: "{not json", SUPABASE_PUBLISHABLE_KEY: keys.publishableKey },
  "plural as an array": { ...local, SUPABASE_SECRET_KEYS: JSON.stringify([keys.secretKey]) },
  "a number, an empty key and a null": { ...local, SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ num: 123, empty: "", none: null, default: keys.publishableKey }) },
  "one key in both sets": { ...local, SUPABASE_SECRET_KEYS: JSON.stringify({ shared: keys.publishableKey, default: keys.secretKey }) },
  "no SUPABASE_URL": { ...local, SUPABASE_URL: "" },
  "no JWKS": { ...local, SUPABASE_JWKS: "" },
  "JWKS as a bare array": { ...local, SUPABASE_JWKS: JSON.stringify(JSON.parse(jwks).keys) },
  "malformed JWKS beside a JWKS URL": { ...local, SUPABASE_JWKS: "{", SUPABASE_JWKS_URL: unreachableJwksUrl },
  "unreachable JWKS URL": { ...local, SUPABASE_JWKS: " ", SUPABASE_JWKS_URL: unreachableJwksUrl },
};

const jwt = signUserJwt(keys, { sub: "user-1" });
const forged = signUserJwt(other, { sub: "user-1" });
const REQUESTS: Record<string, Record<string, string>> = {
  "nothing": {},
  "publishable key": { apikey: keys.publishableKey },
  "secret key": { apikey: keys.secretKey },
  "second named publishable key": { apikey: other.publishableKey },
  "wrong key": { apikey: `${keys.publishableKey}x` },
  "empty apikey": { apikey: "" },
  "apikey 123": { apikey: "123" },
  "apikey null": { apikey: "null" },
  "user JWT": { Authorization: `Bearer ${jwt}` },
  "forged JWT": { Authorization: `Bearer ${forged}` },
  "not a JWT": { Authorization: "Bearer not.a.jwt" },
  "user JWT and publishable key": { Authorization: `Bearer ${jwt}`, apikey: keys.publishableKey },
  "forged JWT and secret key": { Authorization: `Bearer ${forged}`, apikey: keys.secretKey },
  "sb_ key as bearer, with a key": { Authorization: `Bearer ${keys.publishableKey}`, apikey: keys.secretKey },
  "sb_ key as bearer alone": { Authorization: `Bearer ${keys.secretKey}` },
  "Basic authorization and a key": { Authorization: "Basic dXNlcjpwYXNz", apikey: keys.secretKey },
  "empty bearer and a key": { Authorization: "Bearer ", apikey: keys.publishableKey },
  "lower-case bearer and a key": { Authorization: `bearer ${forged}`, apikey: keys.publishableKey },
};
const usesJwt = (headers: Record<string, string>) => /^Bearer (?!sb_)./.test(headers.Authorization ?? "");

const savedEnv = process.env;
afterEach(() => {
  process.env = savedEnv;
});
/** Sets exactly `env`'s SUPABASE_ variables, where @supabase/server reads them (Node: process.env). */
function useEnvironment(env: Env): void {
  process.env = { ...Object.fromEntries(Object.entries(savedEnv).filter(([name]) => !name.startsWith("SUPABASE_"))), ...env };
}

/** What decides a caller's answer: who (mode, key name, user) or the refusal's status. */
function outcome(result: Verified | { data: { authMode: string; keyName?: string | null; userClaims?: { id: string } | null } | null; error: { status: number } | null }) {
  if (result.error) return { status: result.error.status };
  return { authMode: result.data!.authMode, keyName: result.data!.keyName ?? null, user: result.data!.userClaims?.id ?? null };
}

const upstream = (headers: Record<string, string>, modes: readonly Mode[]) =>
  verifyAuth(new Request("http://127.0.0.1/feature-flags", { headers }), { auth: [...modes] });

describe("the function's reading of the auth environment", () => {
  const jwksUrls = ["https://abc.supabase.co/auth/v1/.well-known/jwks.json", "  https://x.example/jwks  ", "http://abc.example/jwks", "http://localhost:54321/jwks", "http://api.localhost/jwks", "http://[::1]:54321/jwks", "http://127.1.2.3/jwks", "not a url", ""];
  const cases: Env[] = [...Object.values(ENVIRONMENTS), ...jwksUrls.map((url) => ({ ...local, SUPABASE_JWKS: "", SUPABASE_JWKS_URL: url }))];
  it.each(cases.map((env, i) => [i, env] as const))("equals resolveEnv's (environment %i)", (_i, env) => {
    useEnvironment(env);
    const theirs = resolveEnv();
    const ours = resolveAuthEnv((name) => process.env[name]);
    const comparable = (value: typeof ours | typeof theirs) =>
      value.error ? { error: value.error.message } : { ...value.data, jwks: value.data!.jwks instanceof URL ? { url: value.data!.jwks.href } : value.data!.jwks };
    expect(comparable(ours)).toEqual(comparable(theirs));
  });
});

describe("the function's credential checks against @supabase/server's verifyAuth", () => {
  it.each(Object.entries(ENVIRONMENTS))("same answers with %s, before and after @supabase/server is loaded", async (_name, env) => {
    useEnvironment(env);
    let loads = 0;
    const check = credentialChecker(resolveAuthEnv((name) => process.env[name]), async () => {
      loads++;
      return verifyAuth as unknown as VerifyAuth;
    });
    const compare = async (which: (headers: Record<string, string>) => boolean) => {
      for (const [request, headers] of Object.entries(REQUESTS).filter(([, headers]) => which(headers))) {
        for (const modes of [READERS, WRITERS]) {
          const ours = outcome(await check(new Request("http://127.0.0.1/feature-flags", { headers }), modes));
          expect(ours, `${request}, modes ${modes.join(" ")}`).toEqual(outcome(await upstream(headers, modes)));
        }
      }
    };
    // API keys alone: answered without loading @supabase/server.
    await compare((headers) => !usesJwt(headers));
    expect(loads).toBe(0);
    await compare(usesJwt);
    // Loaded for a JWT where one can be checked (a JWKS configured, the environment complete).
    const jwtsCheckable = resolveAuthEnv((name) => process.env[name]).data?.jwks != null;
    expect(loads > 0).toBe(jwtsCheckable);
    // And key answers are the same once it is loaded.
    await compare((headers) => !usesJwt(headers));
  });

  it("the comparison can fail: a key set that differs from the environment verifyAuth reads gives other answers", async () => {
    useEnvironment(local);
    const check = credentialChecker(resolveAuthEnv((name) => ({ ...local, SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: other.publishableKey }) })[name]), async () => verifyAuth as unknown as VerifyAuth);
    const headers = { apikey: keys.publishableKey };
    expect(outcome(await check(new Request("http://127.0.0.1/", { headers }), READERS))).not.toEqual(outcome(await upstream(headers, READERS)));
  });
});
