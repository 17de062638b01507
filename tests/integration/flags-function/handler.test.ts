// The function's handler in-process (Node) with `new Request(...)`: real postgres.js against a
// database migrated by the real CLI, real @supabase/server auth. Every route, every error code,
// OFREP shapes, ETag/304, CORS, PATCH with audit, and generated bad input never answering 500.
import { verifyAuth } from "@supabase/server/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthenticator, credentialChecker, type VerifyAuth } from "../../../functions/feature-flags/auth.ts";
import { ERROR_STATUS } from "../../../functions/feature-flags/errors.ts";
import { bucketOf } from "../../../functions/_shared/rollout.ts";
import { resolveAuthEnv } from "../../../functions/feature-flags/auth-env.ts";
import { authEnvironment, signUserJwt } from "../../../scripts/local/local-keys.ts";
import { badRequests } from "../../support/bad-requests.ts";
import { generateLocalKeys, inProcessFunction } from "../../support/feature-flags-fixture.ts";
import { setFlag } from "../../support/flags.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const keys = generateLocalKeys();
const BASE = "http://127.0.0.1:54321/feature-flags";
const db = usePushedDatabase();
let fn: ReturnType<typeof inProcessFunction>;

beforeAll(async () => {
  await setFlag(db.sql, "DLQ_ENABLED", true, 50);
  // TTL 0: every request reads the table, so each test sees what it just wrote.
  fn = inProcessFunction(db.url, keys, { FEATURE_FLAGS_CACHE_TTL_MS: "0" });
});
afterAll(async () => {
  await fn?.close();
});

const publishable = { apikey: keys.publishableKey };
const secret = { apikey: keys.secretKey };
async function call(path: string, init: RequestInit = {}) {
  const response = await fn.handle(new Request(`${BASE}${path}`, init));
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text ? JSON.parse(text) : null };
}

describe("lookups", () => {
  it("GET /feature-flags?subject= answers every flag with reason and bucket", async () => {
    const { status, json, headers } = await call("?subject=tenant-1", { headers: publishable });
    expect(status).toBe(200);
    expect(headers.get("content-type")).toContain("application/json");
    expect(Object.keys(json.flags)).toEqual(["DLQ_ENABLED", "JOB_HEARTBEAT"]);
    expect(json.flags.DLQ_ENABLED).toMatchObject({ reason: "SPLIT", bucket: bucketOf("DLQ_ENABLED", "tenant-1"), rolloutPercentage: 50 });
    expect(json.flags.DLQ_ENABLED.value).toBe(bucketOf("DLQ_ENABLED", "tenant-1") < 5000);
    expect(json.flags.JOB_HEARTBEAT).toMatchObject({ value: false, reason: "DISABLED" });
    expect(json.source.state).toBe("fresh");
  });

  it("GET /feature-flags/<KEY> answers one flag; 404 for an unknown key", async () => {
    const one = await call("/JOB_HEARTBEAT?subject=tenant-1", { headers: publishable });
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ key: "JOB_HEARTBEAT", value: false, reason: "DISABLED", subject: "tenant-1" });
    const unknown = await call("/NO_SUCH_FLAG?subject=tenant-1", { headers: publishable });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe("flag_not_found");
  });

  it.each([
    ["", "subject is required"],
    ["?subject=", "subject must not be empty"],
    [`?subject=${"é".repeat(129)}`, "258 bytes"],
  ])("400 names the subject problem for %j", async (query, message) => {
    for (const path of [query, `/DLQ_ENABLED${query}`]) {
      const { status, json } = await call(path, { headers: publishable });
      expect(status).toBe(400);
      expect(json.error.code).toBe("invalid_subject");
      expect(json.error.message).toContain(message);
    }
  });

  it("400 for a malformed key", async () => {
    const { status, json } = await call("/dlq-enabled?subject=t", { headers: publishable });
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ code: "invalid_flag_key", message: expect.stringContaining("upper snake case") });
  });

  it("unknown routes 404 and wrong methods 405 with Allow", async () => {
    expect((await call("/a/b/c", { headers: publishable })).json.error.code).toBe("route_not_found");
    const wrong = await call("?subject=t", { method: "DELETE", headers: publishable });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, OPTIONS");
  });
});

describe("answer headers", () => {
  const headersOf = (response: { headers: Headers }) => Object.fromEntries(response.headers);
  const post = (path: string, headers: Record<string, string> = {}) =>
    call(`/ofrep/v1/evaluate/flags${path}`, { method: "POST", headers: { ...publishable, "content-type": "application/json", ...headers }, body: '{"context":{"targetingKey":"tenant-1"}}' });

  it("GET answers are no-store, so no cache serves a flag's old value", async () => {
    const noStore = { "content-type": "application/json", "cache-control": "no-store" };
    expect(headersOf(await call("/DLQ_ENABLED?subject=t", { headers: publishable }))).toEqual(noStore);
    expect(headersOf(await call("?subject=t", { headers: publishable }))).toEqual(noStore);
  });

  it("OFREP answers to POST carry no Cache-Control (no cache stores them) and the bulk one its ETag", async () => {
    expect(headersOf(await post("/DLQ_ENABLED"))).toEqual({ "content-type": "application/json" });
    const bulk = await post("");
    const etag = bulk.headers.get("etag")!;
    expect(headersOf(bulk)).toEqual({ "content-type": "application/json", etag });
    const notModified = await post("", { "If-None-Match": etag });
    expect(notModified.status).toBe(304);
    expect(headersOf(notModified)).toEqual({ etag });
  });
});

describe("auth", () => {
  it("reads accept a publishable key, a secret key and a user JWT", async () => {
    const jwt = signUserJwt(keys, { sub: "user-1" });
    for (const headers of [publishable, secret, { Authorization: `Bearer ${jwt}` }]) {
      expect((await call("?subject=t", { headers })).status).toBe(200);
    }
  });

  it("401 with a JSON body for no credentials, a wrong key, a forged or expired JWT", async () => {
    const forged = signUserJwt({ ...keys, jwtSecret: generateLocalKeys().jwtSecret }, { sub: "user-1" });
    const expired = signUserJwt(keys, { sub: "user-1", expiresInSeconds: -60 });
    for (const headers of <Record<string, string>[]>[{}, { apikey: "sb_publishable_wrong" }, { apikey: "sb_secret_wrong" }, { Authorization: `Bearer ${forged}` }, { Authorization: `Bearer ${expired}` }, { Authorization: "Bearer not.a.jwt" }]) {
      const { status, json } = await call("?subject=t", { headers });
      expect(status, JSON.stringify(headers)).toBe(401);
      expect(json.error.code).toBe("unauthorized");
    }
  });

  it("an incomplete auth environment is not_configured (503), not a 401 that blames the caller", async () => {
    const { SUPABASE_URL: _unset, ...withoutUrl } = authEnvironment(keys, "http://127.0.0.1:54321");
    const auth = createAuthenticator(credentialChecker(resolveAuthEnv((name) => withoutUrl[name]), async () => verifyAuth as unknown as VerifyAuth));
    const jwt = signUserJwt(keys, { sub: "user-1" });
    for (const headers of <Record<string, string>[]>[publishable, secret, { Authorization: `Bearer ${jwt}` }, {}]) {
      const result = await auth.reader(new Request(`${BASE}?subject=t`, { headers }));
      expect(result.error, JSON.stringify(headers)).toMatchObject({ code: "not_configured", message: expect.stringContaining("SUPABASE_URL") });
    }
    expect(ERROR_STATUS.not_configured).toBe(503);
  });

  it("a user JWT that cannot be checked because @supabase/server fails to load is not_configured; API keys still work", async () => {
    const auth = createAuthenticator(credentialChecker(resolveAuthEnv((name) => authEnvironment(keys, "http://127.0.0.1:54321")[name]), () => Promise.reject(new Error("module not found"))));
    const jwt = signUserJwt(keys, { sub: "user-1" });
    expect((await auth.reader(new Request(`${BASE}?subject=t`, { headers: { Authorization: `Bearer ${jwt}` } }))).error).toMatchObject({ code: "not_configured", message: expect.stringContaining("module not found") });
    expect((await auth.reader(new Request(`${BASE}?subject=t`, { headers: publishable }))).data?.mode).toBe("publishable");
  });

  it("CORS preflight answers with the headers supabase-js sends", async () => {
    const response = await fn.handle(new Request(`${BASE}/DLQ_ENABLED`, { method: "OPTIONS" }));
    expect(response.status).toBe(204);
    const allowed = response.headers.get("access-control-allow-headers")!.split(", ");
    expect(allowed).toEqual(expect.arrayContaining(["authorization", "x-client-info", "apikey", "content-type"]));
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-methods")).toContain("PATCH");
    expect(response.headers.get("access-control-expose-headers")).toBe("etag");
    // Answers to a browser (it always sends Origin cross-origin) carry CORS headers, error
    // answers too, so it can read them; server-side callers (no Origin) are spared them.
    const fromBrowser = { origin: "http://localhost:3000" };
    expect((await call("?subject=t", { headers: fromBrowser })).headers.get("access-control-allow-origin")).toBe("*");
    const lookup = await call("/DLQ_ENABLED?subject=t", { headers: { ...publishable, ...fromBrowser } });
    expect(lookup.status).toBe(200);
    expect(lookup.headers.get("access-control-expose-headers")).toBe("etag");
    expect((await call("?subject=t")).headers.get("access-control-allow-origin")).toBeNull();
    expect((await call("/DLQ_ENABLED?subject=t", { headers: publishable })).headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("PATCH /feature-flags/<KEY>", () => {
  const patch = (key: string, body: unknown, headers: Record<string, string> = secret) =>
    call(`/${key}`, { method: "PATCH", headers: { ...headers, "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });

  it("needs a secret key: 401 without credentials, 403 with a publishable key or a user JWT", async () => {
    expect((await patch("JOB_HEARTBEAT", { enabled: true }, {})).status).toBe(401);
    expect((await patch("JOB_HEARTBEAT", { enabled: true }, { apikey: "sb_secret_wrong" })).status).toBe(401);
    const publishableWrite = await patch("JOB_HEARTBEAT", { enabled: true }, publishable);
    expect(publishableWrite.status).toBe(403);
    expect(publishableWrite.json.error.code).toBe("secret_key_required");
    expect((await patch("JOB_HEARTBEAT", { enabled: true }, { Authorization: `Bearer ${signUserJwt(keys, { sub: "u" })}` })).status).toBe(403);
    const [row] = await db.sql`select enabled from public.feature_flags where key = 'JOB_HEARTBEAT'`;
    expect(row!.enabled).toBe(false);
  });

  it.each([
    ["not json", "must be JSON"],
    [[1], "JSON object"],
    [{}, "set enabled and/or rollout_percentage"],
    [{ enabled: "yes" }, "enabled must be true or false"],
    [{ rollout_percentage: 101 }, "between 0 and 100"],
    [{ rollout_percentage: 5.001 }, "steps of 0.01"],
    [{ rollout_percentage: "5" }, "must be a number"],
    [{ enabled: true, key: "OTHER" }, "unknown field"],
  ])("400 for %j", async (body, message) => {
    const { status, json } = await patch("JOB_HEARTBEAT", body);
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ code: "invalid_body", message: expect.stringContaining(message) });
  });

  it("sets enabled and rollout percentage, audited with the caller in the same transaction", async () => {
    const { status, json } = await patch("JOB_HEARTBEAT", { enabled: true, rollout_percentage: 12.5 });
    expect(status).toBe(200);
    expect(json.flag).toMatchObject({ key: "JOB_HEARTBEAT", enabled: true, rolloutPercentage: 12.5, updatedBy: 'secret key "default"' });
    const [audit] = await db.sql`select actor, old_row->>'rollout_percentage' as old, new_row->>'rollout_percentage' as new
                                   from public.feature_flag_audit where flag_key = 'JOB_HEARTBEAT' order by id desc limit 1`;
    expect(audit).toMatchObject({ actor: 'secret key "default"', old: "0", new: "12.5" });
    // The actor setting was transaction-local: a later statement on the connection does not see it.
    const [setting] = await db.sql`select coalesce(current_setting('audit.actor', true), '') as actor`;
    expect(setting!.actor).toBe("");
    const served = await call("/JOB_HEARTBEAT?subject=tenant-1", { headers: publishable });
    expect(served.json).toMatchObject({ rolloutPercentage: 12.5, reason: "SPLIT" });
  });

  it("404 for an unknown key, 400 for a malformed one", async () => {
    expect((await patch("NO_SUCH_FLAG", { enabled: true })).status).toBe(404);
    expect((await patch("no-such-flag", { enabled: true })).json.error.code).toBe("invalid_flag_key");
  });
});

describe("OFREP", () => {
  const ofrep = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    call(`/ofrep/v1/evaluate/flags${path}`, { method: "POST", headers: { ...publishable, "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });

  it("single flag: value, reason, variant and metadata for context.targetingKey", async () => {
    const { status, json } = await ofrep("/DLQ_ENABLED", { context: { targetingKey: "tenant-1", plan: "pro" } });
    expect(status).toBe(200);
    const bucket = bucketOf("DLQ_ENABLED", "tenant-1");
    expect(json).toMatchObject({ key: "DLQ_ENABLED", value: bucket < 5000, reason: "SPLIT", variant: bucket < 5000 ? "on" : "off", metadata: { bucket, rolloutPercentage: 50 } });
  });

  it("errors in the protocol's codes and statuses", async () => {
    expect(await ofrep("/NO_SUCH_FLAG", { context: { targetingKey: "t" } })).toMatchObject({ status: 404, json: { key: "NO_SUCH_FLAG", errorCode: "FLAG_NOT_FOUND" } });
    expect(await ofrep("/DLQ_ENABLED", { context: {} })).toMatchObject({ status: 400, json: { key: "DLQ_ENABLED", errorCode: "TARGETING_KEY_MISSING" } });
    expect(await ofrep("/DLQ_ENABLED", "{oops")).toMatchObject({ status: 400, json: { errorCode: "PARSE_ERROR" } });
    expect(await ofrep("/DLQ_ENABLED", { context: { targetingKey: 42 } })).toMatchObject({ status: 400, json: { errorCode: "INVALID_CONTEXT" } });
    expect(await ofrep("/DLQ_ENABLED", { context: "tenant" })).toMatchObject({ status: 400, json: { errorCode: "INVALID_CONTEXT" } });
    expect(await ofrep("", { context: {} })).toMatchObject({ status: 400, json: { errorCode: "TARGETING_KEY_MISSING" } });
    expect((await ofrep("", { context: {} })).json.key).toBeUndefined();
    expect((await ofrep("/DLQ_ENABLED", { context: { targetingKey: "t" } }, { apikey: "wrong" })).status).toBe(401);
  });

  it("bulk: every flag with an ETag; If-None-Match with it answers 304 until a flag changes", async () => {
    const first = await ofrep("", { context: { targetingKey: "tenant-1" } });
    expect(first.status).toBe(200);
    expect(first.json.flags.map((f: { key: string }) => f.key)).toEqual(["DLQ_ENABLED", "JOB_HEARTBEAT"]);
    // Each flag as the single-flag route answers it, with the source and its age in its metadata
    // (compared by type only: with a TTL of 0, a slow read between the two requests may change them).
    const single = await ofrep("/DLQ_ENABLED", { context: { targetingKey: "tenant-1" } });
    const withoutAge = ({ metadata: { source, sourceAgeMs, ...metadata }, ...rest }: { metadata: { source: unknown; sourceAgeMs: unknown } }) =>
      ({ ...rest, metadata, source: typeof source, age: typeof sourceAgeMs });
    expect(withoutAge(first.json.flags[0])).toEqual(withoutAge(single.json));
    expect(withoutAge(first.json.flags[1])).toMatchObject({ source: "string", age: "number" });
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]{16}"$/);
    const unchanged = await ofrep("", { context: { targetingKey: "tenant-1" } }, { "If-None-Match": etag });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe("");
    expect((await ofrep("", { context: { targetingKey: "tenant-1" } }, { "If-None-Match": `W/${etag}, "other"` })).status).toBe(304);
    // Another subject gets other answers, so another ETag.
    expect((await ofrep("", { context: { targetingKey: "tenant-2" } }, { "If-None-Match": etag })).status).toBe(200);
    await setFlag(db.sql, "DLQ_ENABLED", false, 50);
    const changed = await ofrep("", { context: { targetingKey: "tenant-1" } }, { "If-None-Match": etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
    await setFlag(db.sql, "DLQ_ENABLED", true, 50);
  });
});

describe("health", () => {
  it("reports the database reachable and the cache age", async () => {
    const { status, json } = await call("/health", { headers: publishable });
    expect(status).toBe(200);
    expect(json).toMatchObject({ status: "ok", database: { reachable: true }, cache: { state: "fresh", stale: false, flagCount: 2, ttlMs: 0 } });
    expect(typeof json.cache.ageMs).toBe("number");
    expect((await call("/health")).status).toBe(401);
  });
});

describe("generated bad input never answers 500", () => {
  it("600 generated requests: no 500, always a JSON body or an empty one", async () => {
    const statuses = new Map<number, number>();
    for (const request of badRequests(BASE, { publishable, secret }, 600)) {
      const response = await fn.handle(request);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const text = await response.text();
      expect(response.status, `${request.method} ${request.url}: ${text}`).toBeLessThan(500);
      if (text) expect(() => JSON.parse(text)).not.toThrow();
    }
    expect(fn.logged).toEqual([]);
    // The generator reaches successes and several kinds of refusal.
    expect([...statuses.keys()]).toEqual(expect.arrayContaining([200, 400, 401, 404, 405]));
  });
});
