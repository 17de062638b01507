// The feature-flags function served by the real Deno (`deno serve`, behind the local
// /functions/v1 gateway) against a database migrated by the real Supabase CLI, over HTTP:
// app code (supabase-js, fetch, OpenFeature's OFREP provider), auth failures, a dashboard UPDATE
// served within the TTL, overrides, fuzzed input, and stale-if-error when the database goes away.
import { execFile } from "node:child_process";
import { request as httpRequest } from "node:http";
import { promisify } from "node:util";
import { OpenFeature, ErrorCode } from "@openfeature/server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allFlags as fetchAllFlags, isFlagOn as fetchIsFlagOn } from "../../../examples/fetch.ts";
import { openFeatureClient } from "../../../examples/openfeature.ts";
import { allFlags, createFunctionsClient, isFlagOn, setRollout } from "../../../examples/supabase-js.ts";
import { bucketOf } from "../../../functions/_shared/rollout.ts";
import { READ_FAILED } from "../../../functions/feature-flags/evaluate.ts";
import { DENO_BIN, FUNCTION_ENTRY, FUNCTION_PACKAGE_FLAGS, GATEWAY_ENTRY, type FunctionServer } from "../../../scripts/local/function-server.ts";
import { signUserJwt } from "../../../scripts/local/local-keys.ts";
import { badRequests } from "../../support/bad-requests.ts";
import { denoFunction, generateLocalKeys } from "../../support/feature-flags-fixture.ts";
import { startTcpProxy, type TcpProxy } from "../../support/tcp-proxy.ts";
import { setFlag } from "../../support/flags.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const TTL_MS = 300;
const STALE_LIMIT_MS = 2_000;
const keys = generateLocalKeys();
const publishable = { apikey: keys.publishableKey };
const secret = { apikey: keys.secretKey };
const db = usePushedDatabase();
let proxy: TcpProxy;
let server: FunctionServer;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  await setFlag(db.sql, "DLQ_ENABLED", true, 5);
  proxy = await startTcpProxy(db.url);
  server = await denoFunction(proxy.url, keys, {
    FEATURE_FLAGS_CACHE_TTL_MS: String(TTL_MS),
    FEATURE_FLAGS_STALE_LIMIT_MS: String(STALE_LIMIT_MS),
    FEATURE_FLAGS_DB_TIMEOUT_MS: "1000",
  });
});
afterAll(async () => {
  await OpenFeature.close();
  await server?.stop();
  await proxy?.close();
});

async function get(path: string, headers: Record<string, string> = publishable) {
  const response = await fetch(`${server.functionUrl}${path}`, { headers });
  return { status: response.status, headers: response.headers, json: await response.json() };
}

describe("deno check", () => {
  it("type-checks the function and the local gateway", async () => {
    const { stdout, stderr } = await promisify(execFile)(DENO_BIN, ["check", "--quiet", ...FUNCTION_PACKAGE_FLAGS, FUNCTION_ENTRY, GATEWAY_ENTRY], { env: { ...process.env, NO_COLOR: "1" } });
    expect(`${stdout}${stderr}`).not.toMatch(/error/i);
  });
});

describe("app code against the served function", () => {
  it("supabase.functions.invoke reads flags with a publishable key, and a secret key changes one", async () => {
    const supabase = createFunctionsClient(server.projectUrl, keys.publishableKey);
    const flags = await allFlags(supabase, "tenant-1");
    expect(flags.DLQ_ENABLED).toMatchObject({ reason: "SPLIT", bucket: bucketOf("DLQ_ENABLED", "tenant-1") });
    expect(await isFlagOn(supabase, "DLQ_ENABLED", "tenant-1")).toBe(bucketOf("DLQ_ENABLED", "tenant-1") < 500);
    await expect(setRollout(supabase, "JOB_HEARTBEAT", { enabled: true })).rejects.toThrow();
    const admin = createFunctionsClient(server.projectUrl, keys.secretKey);
    const changed = await setRollout(admin, "JOB_HEARTBEAT", { enabled: true, rollout_percentage: 100 });
    expect(changed.flag).toMatchObject({ key: "JOB_HEARTBEAT", enabled: true, rolloutPercentage: 100 });
    expect(await isFlagOn(supabase, "JOB_HEARTBEAT", "tenant-1")).toBe(true);
    await setRollout(admin, "JOB_HEARTBEAT", { enabled: false, rollout_percentage: 0 });
  });

  it("plain fetch, with a user JWT as well", async () => {
    const options = { supabaseUrl: server.projectUrl, apiKey: keys.publishableKey };
    expect(Object.keys(await fetchAllFlags({ ...options, subject: "tenant-1" }))).toEqual(["DLQ_ENABLED", "JOB_HEARTBEAT"]);
    expect(await fetchIsFlagOn({ ...options, flag: "JOB_HEARTBEAT", subject: "tenant-1" })).toBe(false);
    const jwt = signUserJwt(keys, { sub: "9b1f6f1e-user" });
    expect((await get("/DLQ_ENABLED?subject=tenant-1", { Authorization: `Bearer ${jwt}` })).status).toBe(200);
  });

  it("OpenFeature's server SDK with the OFREP provider, unchanged", async () => {
    const client = await openFeatureClient(server.projectUrl, keys.publishableKey, "http-test");
    const subjects = ["tenant-1", "tenant-2", "テナント-3", "user:42"];
    for (const subject of subjects) {
      const details = await client.getBooleanDetails("DLQ_ENABLED", false, { targetingKey: subject });
      expect(details).toMatchObject({ value: bucketOf("DLQ_ENABLED", subject) < 500, reason: "SPLIT", flagMetadata: { bucket: bucketOf("DLQ_ENABLED", subject) } });
      expect(details.errorCode).toBeUndefined();
    }
    const unknown = await client.getBooleanDetails("NO_SUCH_FLAG", true, { targetingKey: "tenant-1" });
    expect(unknown).toMatchObject({ value: true, errorCode: ErrorCode.FLAG_NOT_FOUND });
    const anonymous = await client.getBooleanDetails("DLQ_ENABLED", true, {});
    expect(anonymous).toMatchObject({ value: true, errorCode: ErrorCode.TARGETING_KEY_MISSING });
  });

  it("answers as the TypeScript rule does for 300 subjects at 5 %", async () => {
    const subjects = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? `tenant-${i}` : i % 3 === 1 ? `ünïcödé-${i}` : `租户-${i}`));
    const answers = await Promise.all(subjects.map((s) => get(`/DLQ_ENABLED?subject=${encodeURIComponent(s)}`)));
    expect(answers.map((a) => a.json.value)).toEqual(subjects.map((s) => bucketOf("DLQ_ENABLED", s) < 500));
  });
});

describe("over HTTP", () => {
  it("each endpoint answers", async () => {
    expect((await get("?subject=t")).status).toBe(200);
    expect((await get("/DLQ_ENABLED?subject=t")).status).toBe(200);
    expect((await get("/NO_SUCH_FLAG?subject=t")).status).toBe(404);
    expect((await get("/DLQ_ENABLED")).json.error.code).toBe("invalid_subject");
    expect((await get("/health")).json).toMatchObject({ status: "ok", database: { reachable: true }, cache: { ttlMs: TTL_MS } });
    const bulk = await fetch(`${server.functionUrl}/ofrep/v1/evaluate/flags`, { method: "POST", headers: { ...publishable, "content-type": "application/json" }, body: JSON.stringify({ context: { targetingKey: "t" } }) });
    expect(bulk.status).toBe(200);
    const again = await fetch(`${server.functionUrl}/ofrep/v1/evaluate/flags`, { method: "POST", headers: { ...publishable, "if-none-match": bulk.headers.get("etag")! }, body: JSON.stringify({ context: { targetingKey: "t" } }) });
    expect(again.status).toBe(304);
    const preflight = await fetch(`${server.functionUrl}/DLQ_ENABLED`, { method: "OPTIONS", headers: { origin: "http://localhost:3000", "access-control-request-method": "PATCH", "access-control-request-headers": "authorization, x-client-info, apikey, content-type" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toContain("x-client-info");
  });

  it("auth failures: none, wrong key, publishable key on PATCH", async () => {
    expect(await get("?subject=t", {})).toMatchObject({ status: 401, json: { error: { code: "unauthorized" } } });
    expect(await get("?subject=t", { apikey: "sb_publishable_not-this-one" })).toMatchObject({ status: 401 });
    const patch = await fetch(`${server.functionUrl}/DLQ_ENABLED`, { method: "PATCH", headers: publishable, body: JSON.stringify({ enabled: false }) });
    expect(patch.status).toBe(403);
    expect((await patch.json()).error.code).toBe("secret_key_required");
  });

  it("PATCH with the secret key is audited with the caller; a same-value PATCH writes no audit row", async () => {
    const patch = (rollout_percentage: number) =>
      fetch(`${server.functionUrl}/DLQ_ENABLED`, { method: "PATCH", headers: { ...secret, "content-type": "application/json" }, body: JSON.stringify({ rollout_percentage }) });
    expect((await patch(7.5)).status).toBe(200);
    const [audit] = await db.sql`select id, actor from public.feature_flag_audit where flag_key = 'DLQ_ENABLED' order by id desc limit 1`;
    expect(audit!.actor).toBe('secret key "default"');
    expect((await patch(7.5)).status).toBe(200);
    const [unchanged] = await db.sql`select id from public.feature_flag_audit where flag_key = 'DLQ_ENABLED' order by id desc limit 1`;
    expect(unchanged!.id).toBe(audit!.id);
    expect((await patch(5)).status).toBe(200);
  });

  it("a dashboard UPDATE of the table is served once the TTL and the read it starts have passed", async () => {
    const subject = "tenant-dashboard";
    expect((await get(`/JOB_HEARTBEAT?subject=${subject}`)).json).toMatchObject({ value: false, reason: "DISABLED" });
    await setFlag(db.sql, "JOB_HEARTBEAT", true, 100);
    await sleep(TTL_MS + 100);
    // The first request after the TTL starts the read; a lookup waits for it at most 50 ms and is
    // otherwise served the flags it had (stale-while-revalidate), so allow a few reads' time.
    let answer = (await get(`/JOB_HEARTBEAT?subject=${subject}`)).json;
    for (let attempt = 0; attempt < 20 && answer.value !== true; attempt++) {
      await sleep(50);
      answer = (await get(`/JOB_HEARTBEAT?subject=${subject}`)).json;
    }
    expect(answer).toMatchObject({ value: true, reason: "STATIC" });
    await setFlag(db.sql, "JOB_HEARTBEAT", false, 0);
  });

  it("250 generated bad requests never answer 500", async () => {
    const seen = new Set<number>();
    for (const request of badRequests(server.functionUrl, { publishable, secret }, 250, 7)) {
      const response = await fetch(request);
      const text = await response.text();
      seen.add(response.status);
      expect(response.status, `${request.method} ${request.url.slice(0, 200)}: ${text.slice(0, 300)}`).toBeLessThan(500);
    }
    expect([...seen]).toEqual(expect.arrayContaining([200, 400, 401, 404]));
    expect(server.output()).not.toContain("unexpected error");
  });
});

describe("an instance started ahead of its first request", () => {
  it("answers that request with a table change made after its start read, once the TTL has passed", async () => {
    await setFlag(db.sql, "JOB_HEARTBEAT", false, 0);
    // Ready once it listens: no request reaches it before the lookup below.
    const idle = await denoFunction(db.url, keys, { FEATURE_FLAGS_CACHE_TTL_MS: String(TTL_MS) }, "listening");
    try {
      // Its start read is long done; then the table changes and the TTL passes.
      await sleep(1_000);
      await setFlag(db.sql, "JOB_HEARTBEAT", true, 100);
      await sleep(TTL_MS + 100);
      // The read this request starts must not wait for postgres.js to load (tens of ms, more
      // than a lookup waits for a due read), or the request is served the start read's flags.
      const response = await fetch(`${idle.functionUrl}/JOB_HEARTBEAT?subject=tenant-idle`, { headers: publishable });
      expect(await response.json()).toMatchObject({ value: true, reason: "STATIC" });
    } finally {
      await idle.stop();
      await setFlag(db.sql, "JOB_HEARTBEAT", false, 0);
    }
  });
});

describe("overrides in the function's environment", () => {
  let overridden: FunctionServer;
  beforeAll(async () => {
    await setFlag(db.sql, "DLQ_ENABLED", true, 100);
    overridden = await denoFunction(db.url, keys, {
      FEATURE_FLAGS_CACHE_TTL_MS: "60000",
      FEATURE_FLAG_DLQ_ENABLED: "false",
      FEATURE_FLAG_JOB_HEARTBEAT: "25",
      FEATURE_FLAG_NEW_CHECKOUT: "true",
      FEATURE_FLAG_TYPO: "flase",
    });
  });
  afterAll(async () => {
    await overridden?.stop();
    await setFlag(db.sql, "DLQ_ENABLED", true, 5);
  });

  it("false is the kill switch over a 100 % flag; a percentage and true apply; a typo is reported", async () => {
    const response = await fetch(`${overridden.functionUrl}?subject=tenant-1`, { headers: publishable });
    const { flags } = await response.json();
    expect(flags.DLQ_ENABLED).toMatchObject({ value: false, reason: "OVERRIDE", overridden: true });
    expect(flags.JOB_HEARTBEAT).toMatchObject({ value: bucketOf("JOB_HEARTBEAT", "tenant-1") < 2500, rolloutPercentage: 25, overridden: true });
    expect(flags.NEW_CHECKOUT).toMatchObject({ value: true, reason: "OVERRIDE" });
    const health = await (await fetch(`${overridden.functionUrl}/health`, { headers: publishable })).json();
    expect(health).toMatchObject({ status: "degraded", overrides: { keys: ["DLQ_ENABLED", "JOB_HEARTBEAT", "NEW_CHECKOUT"], invalid: [{ variable: "FEATURE_FLAG_TYPO" }] } });
    expect(overridden.output()).toContain("FEATURE_FLAG_TYPO");
  });

  it("100 concurrent requests within one TTL make one database read", async () => {
    await Promise.all(Array.from({ length: 100 }, (_, i) => fetch(`${overridden.functionUrl}/DLQ_ENABLED?subject=t${i}`, { headers: publishable }).then((r) => r.text())));
    const health = await (await fetch(`${overridden.functionUrl}/health`, { headers: publishable })).json();
    expect(health.cache.reads).toBe(1);
  });
});

describe("methods the Fetch API forbids", () => {
  it("TRACE and TRACK through the gateway answer 405, not 500", async () => {
    for (const method of ["TRACE", "TRACK"]) {
      const status = await new Promise<number>((resolve, reject) => {
        const request = httpRequest(`${server.functionUrl}/DLQ_ENABLED`, { method, headers: publishable }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on("error", reject);
        request.end();
      });
      expect(status, method).toBe(405);
    }
  });
});

describe("stale-if-error when the database goes away", () => {
  it("serves the last flags marked stale, then (past the limit) every flag off with ERROR, then recovers", async () => {
    const subject = "tenant-stale";
    const before = await get(`?subject=${subject}`);
    expect(before.json.source.state).toBe("fresh");
    await proxy.cut();
    await sleep(TTL_MS + 50);

    const stale = await get(`?subject=${subject}`);
    expect(stale.status).toBe(200);
    // The database's own error names hosts and ports: never in an answer to a public key.
    expect(stale.json.source).toMatchObject({ state: "stale", error: READ_FAILED });
    expect(stale.json.flags.DLQ_ENABLED.value).toBe(before.json.flags.DLQ_ENABLED.value);
    const degraded = await get("/health");
    expect(degraded).toMatchObject({ status: 200, json: { status: "degraded", database: { reachable: false }, cache: { stale: true } } });
    // The raw error (host, port) only for a secret-key caller.
    expect(degraded.json.database.error).toBe("unreachable (the function's log has the details)");
    expect(degraded.json.cache.error).toBe(READ_FAILED);
    const operator = (await get("/health", secret)).json;
    expect(operator.database.error).toMatch(/127\.0\.0\.1|ECONNREFUSED|CONNECT|closed|took longer/i);
    expect(operator.cache.error).not.toBe(READ_FAILED);
    expect(operator.cache.error).toMatch(/127\.0\.0\.1|ECONNREFUSED|CONNECT|closed|took longer/i);

    await sleep(STALE_LIMIT_MS);
    const gone = await get(`?subject=${subject}`);
    expect(gone.status).toBe(200);
    expect(gone.json.source.state).toBe("unavailable");
    expect(gone.json.flags.DLQ_ENABLED).toMatchObject({ value: false, reason: "ERROR" });
    expect(gone.json.flags.JOB_HEARTBEAT).toMatchObject({ value: false, reason: "ERROR" });
    const ofrep = await fetch(`${server.functionUrl}/ofrep/v1/evaluate/flags/DLQ_ENABLED`, { method: "POST", headers: publishable, body: JSON.stringify({ context: { targetingKey: subject } }) });
    expect(ofrep.status).toBe(200);
    expect(await ofrep.json()).toMatchObject({ value: false, reason: "ERROR" });
    expect((await get("/health")).status).toBe(503);

    await proxy.restore();
    // The next read is tried one TTL after the failed one; reconnecting may take a read or two
    // on a loaded machine, so allow a bounded number of TTLs for recovery.
    let state = "unavailable";
    for (let attempt = 0; attempt < 20 && state !== "fresh"; attempt++) {
      await sleep(TTL_MS + 50);
      state = (await get(`?subject=${subject}`)).json.source.state;
    }
    expect(state).toBe("fresh");
  });
});
