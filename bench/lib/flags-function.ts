// How the benchmark runs the feature-flags function: served directly by `deno serve` (the pathname
// it sees is /feature-flags/..., as when hosted; no local gateway in front), against a database
// with every migration pushed by the real CLI, with freshly generated local keys.
import { DEFAULTS } from "../../functions/feature-flags/config.ts";
import { evaluateFlag } from "../../functions/_shared/rollout.ts";
import { freePort } from "../../scripts/local/embedded-postgres.ts";
import { authEnvironment, generateLocalKeys, signUserJwt } from "../../scripts/local/local-keys.ts";
import { FUNCTION_ENTRY, FUNCTION_PACKAGE_FLAGS, GATEWAY_ENTRY } from "../../scripts/local/function-server.ts";
import { createBenchDatabase, pushMigrations, type BenchDatabase } from "./databases.ts";
import { spawnDenoServe, waitForAnswer, type DenoServer, type RunningProcess } from "./processes.ts";
import { fillTemplate, type RequestTemplate } from "./wrk.ts";

/** The function's own default cache TTL (functions/feature-flags/config.ts), not a copy of it. */
export const DEFAULT_TTL_MS: number = DEFAULTS.cacheTtlMs;
/** The permissions `npm start` gives the function (scripts/local/function-server.ts). */
const PERMISSIONS = ["--allow-net=127.0.0.1,localhost", "--allow-env", "--allow-read", "--allow-sys"];

/** The flags the benchmark's database holds: one split at 5 %, one on for everybody. */
export const BENCH_FLAGS = [
  { key: "DLQ_ENABLED", enabled: true, rolloutPercentage: 5, bucketGroup: "DLQ_ENABLED" },
  { key: "JOB_HEARTBEAT", enabled: true, rolloutPercentage: 100, bucketGroup: "JOB_HEARTBEAT" },
];

export type CredentialKind = "publishable" | "secret" | "user";

export interface FlagsFunction {
  server: DenoServer;
  /** Request headers for each kind of caller. */
  credentials: Record<CredentialKind, Record<string, string>>;
}

export interface Lookup {
  id: string;
  label: string;
  /** single: one flag; bulk: every flag. The bare baseline answers a body of the same size. */
  shape: "single" | "bulk";
  /** The request, with `{subject}` where the subject goes. */
  template: RequestTemplate;
  /** Who calls: `headers` are that caller's credential. */
  credential: CredentialKind;
  headers: Record<string, string>;
  /** Size of one answer, measured. */
  bodyBytes: number;
  /** Whether the HTTP targets (throughput and p99 against the bare baseline) apply. */
  targeted: boolean;
}

let sharedDatabase: Promise<BenchDatabase> | undefined;

/** One database for every function figure, created on first use, dropped with the others. */
export function flagsDatabase(): Promise<BenchDatabase> {
  sharedDatabase ??= (async () => {
    const database = await createBenchDatabase("flags");
    await pushMigrations(database.url);
    for (const flag of BENCH_FLAGS) {
      await database.sql`update public.feature_flags set enabled = ${flag.enabled}, rollout_percentage = ${flag.rolloutPercentage} where key = ${flag.key}`;
    }
    return database;
  })();
  return sharedDatabase;
}

export function singleFlagPath(key: string, subject: string): string {
  return `/feature-flags/${key}?subject=${encodeURIComponent(subject)}`;
}

/** Whether an answer to `singleFlagPath(key, subject)` carries the value the rule gives. */
export function answersCorrectly(body: string, key: string, subject: string, expected?: boolean): boolean {
  const flag = BENCH_FLAGS.find((f) => f.key === key)!;
  const value = expected ?? evaluateFlag(flag, subject).value;
  try {
    const answer = JSON.parse(body) as { key?: string; value?: unknown };
    return answer.key === key && answer.value === value;
  } catch {
    return false;
  }
}

export interface SpawnedFunction {
  process: RunningProcess;
  origin: string;
  credentials: FlagsFunction["credentials"];
}

export interface FunctionStartOptions {
  env?: Record<string, string>;
  denoFlags?: string[];
  /** Pin the server to this core. */
  cpu?: number;
  /**
   * direct: `deno serve` of the function (as hosted); gateway: npm start's /functions/v1 gateway
   * in front; or the path of another entry serving the function at /feature-flags.
   */
  entry?: "direct" | "gateway" | string;
}

/** Where the function's /feature-flags paths are on a server started with `entry`. */
export const PATH_PREFIX = { direct: "", gateway: "/functions/v1" } as const;

/** Starts the function without waiting for it (cold start times this). */
export async function spawnFlagsFunction(database: BenchDatabase, options: FunctionStartOptions = {}): Promise<SpawnedFunction> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const keys = generateLocalKeys();
  const entry = options.entry === "gateway" ? GATEWAY_ENTRY : options.entry === undefined || options.entry === "direct" ? FUNCTION_ENTRY : options.entry;
  const proc = spawnDenoServe(entry, port, {
    permissions: PERMISSIONS,
    denoFlags: [...FUNCTION_PACKAGE_FLAGS, ...(options.denoFlags ?? [])],
    cpu: options.cpu,
    env: { SUPABASE_DB_URL: database.url, ...authEnvironment(keys, origin), ...options.env },
  });
  const jwt = signUserJwt(keys, { sub: "00000000-0000-4000-8000-000000000001", expiresInSeconds: 3 * 3600 });
  return {
    process: proc,
    origin,
    credentials: { publishable: { apikey: keys.publishableKey }, secret: { apikey: keys.secretKey }, user: { authorization: `Bearer ${jwt}` } },
  };
}

/** Starts the function and waits for its first correct answer. */
export async function startFlagsFunction(database: BenchDatabase, options: FunctionStartOptions = {}): Promise<FlagsFunction> {
  const spawned = await spawnFlagsFunction(database, options);
  const url = `${spawned.origin}${options.entry === "gateway" ? PATH_PREFIX.gateway : PATH_PREFIX.direct}${singleFlagPath("DLQ_ENABLED", "tenant-1")}`;
  const ready = await waitForAnswer(url, (status, body) => status === 200 && answersCorrectly(body, "DLQ_ENABLED", "tenant-1"), 120_000, spawned.process, {
    headers: spawned.credentials.publishable,
  });
  if (ready === null) {
    await spawned.process.stop();
    throw new Error(`the feature-flags function gave no correct answer within 120 s:\n${spawned.process.output()}`);
  }
  return { server: { process: spawned.process, port: Number(new URL(spawned.origin).port), origin: spawned.origin }, credentials: spawned.credentials };
}

const OFREP_BODY = '{"context":{"targetingKey":"{subject}"}}';
const SINGLE = "/feature-flags/DLQ_ENABLED?subject={subject}";

/**
 * The lookups the HTTP group measures, each checked once (status and size) before it is loaded.
 * `prefix`: where the server puts /feature-flags (PATH_PREFIX).
 */
export async function describeLookups(fn: FlagsFunction, prefix = ""): Promise<Lookup[]> {
  const { publishable, secret, user } = fn.credentials;
  const shapes: Array<Omit<Lookup, "bodyBytes">> = [
    { id: "http.get.single", label: "GET /feature-flags/DLQ_ENABLED (publishable key)", shape: "single", credential: "publishable", headers: publishable, targeted: true, template: { path: SINGLE } },
    { id: "http.get.bulk", label: "GET /feature-flags, every flag (publishable key)", shape: "bulk", credential: "publishable", headers: publishable, targeted: true, template: { path: "/feature-flags?subject={subject}" } },
    { id: "http.ofrep.single", label: "OFREP POST .../evaluate/flags/DLQ_ENABLED (publishable key)", shape: "single", credential: "publishable", headers: publishable, targeted: true, template: { path: "/feature-flags/ofrep/v1/evaluate/flags/DLQ_ENABLED", method: "POST", body: OFREP_BODY } },
    { id: "http.ofrep.bulk", label: "OFREP POST .../evaluate/flags, every flag (publishable key)", shape: "bulk", credential: "publishable", headers: publishable, targeted: true, template: { path: "/feature-flags/ofrep/v1/evaluate/flags", method: "POST", body: OFREP_BODY } },
    { id: "http.auth.secret", label: "auth cost: GET one flag with a secret key", shape: "single", credential: "secret", headers: secret, targeted: true, template: { path: SINGLE } },
    { id: "http.auth.user", label: "auth cost: GET one flag with a user JWT (HS256)", shape: "single", credential: "user", headers: user, targeted: true, template: { path: SINGLE } },
  ];
  const lookups: Lookup[] = [];
  for (const shape of shapes) {
    const template = { ...shape.template, path: `${prefix}${shape.template.path}` };
    const request = fillTemplate(template, "tenant-1");
    const response = await fetch(`${fn.server.origin}${request.path}`, {
      method: request.method,
      headers: { ...shape.headers, ...(request.body ? { "content-type": "application/json" } : {}) },
      body: request.body,
    });
    const body = await response.text();
    if (response.status !== 200 || !body.includes("DLQ_ENABLED")) throw new Error(`${shape.label} answered ${response.status}: ${body.slice(0, 300)}`);
    lookups.push({ ...shape, template, bodyBytes: Buffer.byteLength(body) });
  }
  return lookups;
}

/** Environment for bench/deno/request-costs.ts: the function's auth settings and one credential of each kind. */
export function requestCostEnvironment(): Record<string, string> {
  const keys = generateLocalKeys();
  return {
    ...authEnvironment(keys, "http://127.0.0.1:54321"),
    BENCH_PUBLISHABLE_KEY: keys.publishableKey,
    BENCH_SECRET_KEY: keys.secretKey,
    BENCH_USER_JWT: signUserJwt(keys, { sub: "00000000-0000-4000-8000-000000000001", expiresInSeconds: 3600 }),
  };
}
