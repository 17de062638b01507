// The function's first flags read (first-read.ts), the real reader run by the real Deno: it reads
// what postgres.js's readFlags reads from the same table, on PGlite (through pglite-socket) and on
// PostgreSQL; a URL it leaves to postgres.js is read by postgres.js and answered right; and, on a
// throwaway cluster of our own that asks for SCRAM passwords (server mode only, as root), a wrong
// password fails the first read with the server's message and nothing else tries, while the right
// one reads the flags over SCRAM-SHA-256.
import { execFile } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateFlag, type FlagDefinition } from "../../../functions/_shared/rollout.ts";
import { createFlagDatabase, type SqlClient } from "../../../functions/feature-flags/flag-database.ts";
import { DENO_BIN, FUNCTION_CONFIG, type FunctionServer } from "../../../scripts/local/function-server.ts";
import { connect, type Sql } from "../../../scripts/shared/database.ts";
import { PROJECT_ROOT } from "../../../scripts/shared/project-paths.ts";
import { denoFunction, generateLocalKeys } from "../../support/feature-flags-fixture.ts";
import { setFlag } from "../../support/flags.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";
import { passwordCluster } from "../../support/password-cluster.ts";
import { usingServer } from "../../support/test-database.ts";

const FIRST_READ = pathToFileURL(path.join(PROJECT_ROOT, "functions", "feature-flags", "first-read.ts")).href;
const keys = generateLocalKeys();

type DenoRead = { flags: FlagDefinition[] } | { error: { name: string; message: string; code?: string } };

/** first-read.ts in a Deno process of its own, with the socket the function gives it. */
async function readInDeno(databaseUrl: string): Promise<DenoRead> {
  const code = `import { readFlagsOverWire, wireTarget } from ${JSON.stringify(FIRST_READ)};
try {
  const target = wireTarget(Deno.env.get("READ_URL"));
  console.log(JSON.stringify({ flags: await readFlagsOverWire(target, 3000, (hostname, port) => Deno.connect({ hostname, port })) }));
} catch (error) {
  console.log(JSON.stringify({ error: { name: error.name, message: error.message, code: error.code } }));
}`;
  const { stdout } = await promisify(execFile)(DENO_BIN, ["eval", "--quiet", "--config", FUNCTION_CONFIG, code], { env: { ...process.env, NO_COLOR: "1", READ_URL: databaseUrl } });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as DenoRead;
}

const readWithPostgresJs = (sql: Sql) => createFlagDatabase(sql as unknown as SqlClient, 3_000).readFlags();

/** GET one flag from a served function with the publishable key: status and body. */
async function getFlag(server: FunctionServer, key: string, subject: string) {
  const response = await fetch(`${server.functionUrl}/${key}?subject=${subject}`, { headers: { apikey: keys.publishableKey } });
  return { status: response.status, body: (await response.json()) as { key: string; value: boolean; reason: string } };
}

describe("the wire reader against the test database", () => {
  const db = usePushedDatabase();
  let server: FunctionServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  beforeAll(async () => {
    await setFlag(db.sql, "DLQ_ENABLED", true, 33.33, "SHARED_GROUP");
    await setFlag(db.sql, "JOB_HEARTBEAT", false, 12.5);
    await db.sql`insert into public.feature_flags (key, description, enabled, rollout_percentage, bucket_group)
                 values ('TINY_SHARE', 'fractional', true, 0.01, 'SHARED_GROUP'),
                        ('ALMOST_ALL', 'fractional', true, 99.99, 'ALMOST_ALL'),
                        ('ALL_IN', '', true, 100, 'ALL_IN'),
                        ('OFF_AT_HALF', '', false, 50.5, 'group-with.punct!')`;
  });

  it("reads the same FlagDefinition[] as postgres.js's readFlags, in the same order", async () => {
    const expected = await readWithPostgresJs(db.sql);
    expect(expected.map((f) => f.key).sort()).toEqual(["ALL_IN", "ALMOST_ALL", "DLQ_ENABLED", "JOB_HEARTBEAT", "OFF_AT_HALF", "TINY_SHARE"]);
    expect(expected).toContainEqual({ key: "TINY_SHARE", enabled: true, rolloutPercentage: 0.01, bucketGroup: "SHARED_GROUP" });
    expect(expected).toContainEqual({ key: "OFF_AT_HALF", enabled: false, rolloutPercentage: 50.5, bucketGroup: "group-with.punct!" });
    expect(await readInDeno(db.url)).toEqual({ flags: expected });
  });

  it("a SQL error is the server's error with its SQLSTATE", async () => {
    await db.sql`alter table public.feature_flags rename to feature_flags_away`;
    try {
      expect(await readInDeno(db.url)).toEqual({ error: { name: "PostgresServerError", message: 'relation "public.feature_flags" does not exist', code: "42P01" } });
    } finally {
      await db.sql`alter table public.feature_flags_away rename to feature_flags`;
    }
  });

  it("nothing listening: the connection error, not a fallback", async () => {
    const closedPort = new URL(db.url);
    closedPort.port = "9"; // discard: nothing listens there
    const read = await readInDeno(closedPort.href);
    expect("error" in read && read.error.name).not.toBe("UnsupportedByWireReader");
    expect("error" in read && read.error.message).toMatch(/refused/i);
  });

  it("a URL it leaves to postgres.js (sslmode=prefer): the served function answers right, through postgres.js", async () => {
    const url = new URL(db.url);
    url.searchParams.set("sslmode", "prefer");
    expect(await readInDeno(url.href)).toMatchObject({ error: { name: "UnsupportedByWireReader" } });
    server = await denoFunction(url.href, keys);
    const { status, body } = await getFlag(server, "DLQ_ENABLED", "tenant-7");
    expect(status).toBe(200);
    expect(body).toMatchObject({ key: "DLQ_ENABLED", value: evaluateFlag({ key: "DLQ_ENABLED", enabled: true, rolloutPercentage: 33.33, bucketGroup: "SHARED_GROUP" }, "tenant-7").value, reason: expect.not.stringMatching(/ERROR/) });
    if (usingServer) {
      // postgres.js keeps its connection open; the wire reader would have closed its own.
      const open = await db.sql`select count(*)::int as n from pg_stat_activity
                                 where datname = current_database() and application_name = 'feature-flags function'`;
      expect(open[0]!.n).toBe(1);
    }
  });
});

// ---- Passwords: a throwaway cluster that asks for SCRAM, with TLS for the sslmode=require case ----

const PORT = 15537;
const cluster = passwordCluster("rrk11firstread", PORT, { tls: true });
const RIGHT = "right-Passw0rd%/:@";
const rightUrl = cluster.url(RIGHT);
const wrongUrl = cluster.url("not-the-password");
const WRONG_PASSWORD = 'password authentication failed for user "postgres"';
const skipReason = cluster.skipReason;
const failedLogins = () => (cluster.log().match(/FATAL: {2}password authentication failed/g) ?? []).length;

describe.skipIf(skipReason !== null)(`passwords (${skipReason ?? `own cluster on port ${PORT}`})`, () => {
  let sql: Sql | undefined;
  let server: FunctionServer | undefined;
  const flags: FlagDefinition[] = [
    { key: "DLQ_ENABLED", enabled: true, rolloutPercentage: 42.42, bucketGroup: "DLQ_ENABLED" },
    { key: "OFF_FLAG", enabled: false, rolloutPercentage: 100, bucketGroup: "G" },
  ];

  beforeAll(() => {
    cluster.create(RIGHT, [
      "create table public.feature_flags (key text primary key, enabled boolean not null, rollout_percentage numeric not null, bucket_group text not null)",
      ...flags.map((f) => `insert into public.feature_flags values ('${f.key}', ${f.enabled}, ${f.rolloutPercentage}, '${f.bucketGroup}')`),
    ]);
    sql = connect(rightUrl);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await sql?.end({ timeout: 5 });
    cluster.drop();
  });

  it("the right password: the flags over SCRAM-SHA-256, the same as postgres.js reads", async () => {
    expect(await readWithPostgresJs(sql!)).toEqual(flags);
    expect(await readInDeno(rightUrl)).toEqual({ flags });
  });

  it("a wrong password: the server's message and SQLSTATE, no fallback", async () => {
    expect(await readInDeno(wrongUrl)).toEqual({ error: { name: "PostgresServerError", message: WRONG_PASSWORD, code: "28P01" } });
  });

  it("the served function with a wrong password: one failed login (no second client tried), served as unavailable", async () => {
    const before = failedLogins();
    server = await denoFunction(wrongUrl, keys);
    const { status, body } = await getFlag(server, "DLQ_ENABLED", "tenant-1");
    expect(status).toBe(200);
    expect(body).toMatchObject({ key: "DLQ_ENABLED", value: false, reason: "ERROR" });
    expect(server.output()).toContain(`feature-flags: reading flags failed: ${WRONG_PASSWORD}`);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the server's log is written as it goes
    expect(failedLogins() - before).toBe(1);
    await server.stop();
    server = undefined;
  });

  it("sslmode=require: read by postgres.js over TLS, answered right", async () => {
    server = await denoFunction(`${rightUrl}?sslmode=require`, keys);
    const { status, body } = await getFlag(server, "DLQ_ENABLED", "tenant-3");
    expect(status).toBe(200);
    expect(body).toMatchObject({ key: "DLQ_ENABLED", value: evaluateFlag(flags[0]!, "tenant-3").value });
    expect(body.reason).not.toBe("ERROR");
    const tls = await sql!`select s.ssl from pg_stat_ssl s join pg_stat_activity a using (pid) where a.application_name = 'feature-flags function'`;
    expect(tls.map((row) => row.ssl)).toEqual([true]);
  });
});
