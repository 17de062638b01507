// The function's first flags read (first-read.ts) against a scripted server: where it connects
// (the URL read as postgres.js reads it), what it answers, what it leaves to postgres.js
// (UnsupportedByWireReader) and what is a plain failure. The real servers: tests/integration/
// flags-function/first-read.test.ts.
import { describe, expect, it } from "vitest";
import { readFlagsOverWire, wireTarget, type WireSocket, type WireTarget } from "../../../functions/feature-flags/first-read.ts";
import { DatabaseTimeoutError, READ_FLAGS_SQL } from "../../../functions/feature-flags/flags-read.ts";
import { PostgresServerError, UnsupportedByWireReader, passwordMessage, queryMessage, terminateMessage } from "../../../functions/feature-flags/pg-wire.ts";
import { backendMessage, int16, int32, text } from "./wire-bytes.ts";

describe("wireTarget", () => {
  it("reads host, port, user, password and database as postgres.js does", () => {
    expect(wireTarget("postgresql://postgres:p%40ss%3Aw0rd@db.example.com:6543/my_db")).toEqual({ hostname: "db.example.com", port: 6543, user: "postgres", password: "p@ss:w0rd", database: "my_db" });
    expect(wireTarget("postgres://app%2Dreader@127.0.0.1")).toEqual({ hostname: "127.0.0.1", port: 5432, user: "app-reader", password: undefined, database: "app-reader" });
    expect(wireTarget("postgresql://u@h/d?sslmode=disable").port).toBe(5432);
  });

  it("takes what the URL leaves out from PG* variables, as postgres.js does", () => {
    const env = { PGPORT: "6000", PGPASSWORD: "from-env", PGDATABASE: "envdb", PGUSER: "envuser" } as Record<string, string>;
    expect(wireTarget("postgresql://@h", (name) => env[name])).toEqual({ hostname: "h", port: 6000, user: "envuser", password: "from-env", database: "envdb" });
    expect(wireTarget("postgresql://u:pw@h:7000/d", (name) => env[name])).toEqual({ hostname: "h", port: 7000, user: "u", password: "pw", database: "d" });
  });

  it("leaves TLS, unix sockets, several hosts, URL parameters and a missing user to postgres.js", () => {
    for (const url of [
      "postgresql://u@h/d?sslmode=require",
      "postgresql://u@h/d?sslmode=prefer",
      "postgresql://u@h/d?sslmode=verify-full",
      "postgresql://u@/d?host=/var/run/postgresql",
      "postgresql://u@h1:5432,h2:5432/d",
      "postgresql://u@h/d?application_name=x",
      "postgresql://u@[::1]:5432/d",
      "postgresql://h/d",
      "mysql://u@h/d",
      "postgresql://u@h:99999/d",
    ]) {
      expect(() => wireTarget(url), url).toThrow(UnsupportedByWireReader);
    }
    expect(() => wireTarget("postgresql://u@h/d", (name) => (name === "PGSSL" ? "require" : undefined))).toThrow(/PGSSL=require/);
  });
});

/** A server that answers the client's n-th message with replies[n], and records what it got. */
function scriptedServer(replies: Uint8Array[]) {
  const received: Uint8Array[] = [];
  let pending = new Uint8Array(0);
  let wake: (() => void) | null = null;
  let closed = false;
  const socket: WireSocket = {
    async read(into) {
      while (pending.length === 0 && !closed) await new Promise<void>((resolve) => (wake = resolve));
      if (closed) return null;
      const n = Math.min(into.length, pending.length);
      into.set(pending.subarray(0, n));
      pending = pending.subarray(n);
      return n;
    },
    async write(bytes) {
      received.push(bytes.slice());
      const reply = replies[received.length - 1];
      if (reply) {
        pending = Uint8Array.from([...pending, ...reply]);
        wake?.();
      }
      return bytes.length;
    },
    close() {
      if (closed) throw new Error("closed twice");
      closed = true;
      wake?.();
    },
  };
  return { socket, received, isClosed: () => closed, connect: async () => socket };
}

const target: WireTarget = { hostname: "h", port: 5432, user: "postgres", password: "pw", database: "postgres" };
const join = (...messages: Uint8Array[]) => Uint8Array.from(messages.flatMap((m) => [...m]));
const authOk = backendMessage("R", int32(0));
const ready = join(backendMessage("S", text("client_encoding"), text("UTF8")), backendMessage("K", int32(1), int32(2)), backendMessage("Z", [0x49]));
const column = (name: string, typeOid: number) => [...text(name), ...int32(0), ...int16(0), ...int32(typeOid), ...int16(-1), ...int32(-1), ...int16(0)];
const value = (s: string | null) => (s === null ? [...int32(-1)] : [...int32(new TextEncoder().encode(s).length), ...new TextEncoder().encode(s)]);
const flagsResult = join(
  backendMessage("T", int16(4), column("key", 25), column("enabled", 16), column("rollout_percentage", 701), column("bucket_group", 25)),
  backendMessage("D", int16(4), value("DLQ_ENABLED"), value("t"), value("12.5"), value("DLQ_ENABLED")),
  backendMessage("N", [0x4d], text("a notice, ignored"), [0]),
  backendMessage("D", int16(4), value("JOB_HEARTBEAT"), value("f"), value("0.01"), value("jobs")),
  backendMessage("C", text("SELECT 2")),
  backendMessage("Z", [0x49]),
);
const flags = [
  { key: "DLQ_ENABLED", enabled: true, rolloutPercentage: 12.5, bucketGroup: "DLQ_ENABLED" },
  { key: "JOB_HEARTBEAT", enabled: false, rolloutPercentage: 0.01, bucketGroup: "jobs" },
];
const serverError = (severity: string, code: string, message: string) => backendMessage("E", [0x53], text(severity), [0x43], text(code), [0x4d], text(message), [0]);

describe("readFlagsOverWire", () => {
  it("trust: startup, READ_FLAGS_SQL as one simple query, the rows as FlagDefinitions, Terminate, closed", async () => {
    const server = scriptedServer([join(authOk, ready), flagsResult]);
    expect(await readFlagsOverWire(target, 1_000, server.connect)).toEqual(flags);
    const startup = new TextDecoder().decode(server.received[0]);
    expect(startup).toContain("user\0postgres\0database\0postgres\0application_name\0feature-flags function\0client_encoding\0UTF8\0\0");
    expect(server.received.slice(1)).toEqual([queryMessage(READ_FLAGS_SQL), terminateMessage()]);
    expect(server.isClosed()).toBe(true);
  });

  it("a cleartext password request is answered with the URL's password", async () => {
    const server = scriptedServer([backendMessage("R", int32(3)), join(authOk, ready), flagsResult]);
    expect(await readFlagsOverWire(target, 1_000, server.connect)).toEqual(flags);
    expect(server.received[1]).toEqual(passwordMessage("pw"));
  });

  it("MD5, SASL without SCRAM-SHA-256, other auth, a password request without a password: left to postgres.js, socket closed", async () => {
    const cases: Array<[Uint8Array, WireTarget, RegExp]> = [
      [backendMessage("R", int32(5), [1, 2, 3, 4]), target, /MD5/],
      [backendMessage("R", int32(10), text("SCRAM-SHA-256-PLUS"), [0]), target, /SCRAM-SHA-256-PLUS/],
      [backendMessage("R", int32(7)), target, /type 7/],
      [backendMessage("R", int32(3)), { ...target, password: undefined }, /URL has none/],
    ];
    for (const [request, to, reason] of cases) {
      const server = scriptedServer([request]);
      const read = readFlagsOverWire(to, 1_000, server.connect);
      await expect(read).rejects.toThrow(UnsupportedByWireReader);
      await expect(read).rejects.toThrow(reason);
      expect(server.isClosed()).toBe(true);
    }
  });

  it("the server's errors are failures with its message and SQLSTATE, not left to postgres.js", async () => {
    const startup = scriptedServer([serverError("FATAL", "28P01", 'password authentication failed for user "postgres"')]);
    const refused = readFlagsOverWire(target, 1_000, startup.connect);
    await expect(refused).rejects.toThrow(PostgresServerError);
    await expect(refused).rejects.toMatchObject({ message: 'password authentication failed for user "postgres"', code: "28P01" });

    const query = scriptedServer([join(authOk, ready), join(serverError("ERROR", "42P01", 'relation "public.feature_flags" does not exist'), backendMessage("Z", [0x49]))]);
    await expect(readFlagsOverWire(target, 1_000, query.connect)).rejects.toMatchObject({ code: "42P01", message: 'relation "public.feature_flags" does not exist' });
    expect(query.isClosed()).toBe(true);
  });

  it("a refused connection is a failure as it is", async () => {
    const refused = new Error("Connection refused (os error 111)");
    await expect(readFlagsOverWire(target, 1_000, () => Promise.reject(refused))).rejects.toBe(refused);
  });

  it("a server that does not answer within the timeout: DatabaseTimeoutError, socket closed", async () => {
    const silent = scriptedServer([]);
    const began = Date.now();
    await expect(readFlagsOverWire(target, 100, silent.connect)).rejects.toThrow(DatabaseTimeoutError);
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(silent.isClosed()).toBe(true);
  });

  it("a connection that opens after the timeout is closed at once", async () => {
    const late = scriptedServer([]);
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    await expect(readFlagsOverWire(target, 50, () => opened.then(() => late.socket))).rejects.toThrow(DatabaseTimeoutError);
    open();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(late.isClosed()).toBe(true);
  });
});
