// The function's first flags read, over PostgreSQL's wire protocol without postgres.js.
//
// Why: the first answer waits for the first read, and importing postgres.js (node:stream,
// node:net ...) takes Deno longer than the whole rest of the start. This reader needs none of
// that: a socket, TextEncoder and crypto.subtle. It connects, authenticates (trust, cleartext
// password or SCRAM-SHA-256), runs READ_FLAGS_SQL as one simple query, and disconnects;
// postgres.js, loaded after the first answer, serves every read from then on (until it is
// loaded, reads come here: deferred-database.ts).
//
// What it does not do (TLS, unix sockets, several hosts, MD5 passwords, other auth, connection
// parameters in the URL) it refuses with UnsupportedByWireReader, before connecting or when the
// server asks for it, and the caller reads with postgres.js instead. A real failure (refused
// connection, wrong password, SQL error) is a failed read, as with postgres.js.
//
// The socket comes from `connect` (index.ts passes Deno.connect), so this file runs in Node too.

import type { FlagDefinition } from "../_shared/rollout.ts";
import { DatabaseTimeoutError, READ_FLAGS_SQL, READ_FLAGS_TASK, flagDefinitionOf } from "./flags-read.ts";
import {
  MessageReader,
  UnsupportedByWireReader,
  WireProtocolError,
  decodeAuthentication,
  decodeDataRow,
  decodeError,
  decodeRowDescription,
  queryMessage,
  rowRecord,
  saslInitialResponse,
  saslResponse,
  startupMessage,
  passwordMessage,
  terminateMessage,
  type BackendMessage,
  type ColumnDescription,
} from "./pg-wire.ts";
import { SCRAM_SHA_256, scramClient, type ScramClient } from "./scram.ts";
import { after } from "./start-timer.ts";

/** The part of a Deno.Conn used here. */
export interface WireSocket {
  read(into: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}

export type Connect = (hostname: string, port: number) => Promise<WireSocket>;

export interface WireTarget {
  hostname: string;
  port: number;
  user: string;
  /** undefined when neither the URL nor PGPASSWORD gives one. */
  password: string | undefined;
  database: string;
}

export const APPLICATION_NAME = "feature-flags function";

/**
 * Where and as whom to connect, read from the URL the way postgres.js reads it (user and password
 * percent-decoded, the database as written, port 5432, database = user, PG* variables where the
 * URL is silent). Throws UnsupportedByWireReader for what only postgres.js does.
 */
export function wireTarget(databaseUrl: string, env: (name: string) => string | undefined = () => undefined): WireTarget {
  const unsupported = (what: string) => new UnsupportedByWireReader(`the first read leaves ${what} to postgres.js`);
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) throw unsupported("a URL that is not postgres:// or postgresql://");
  const authority = databaseUrl.slice(databaseUrl.indexOf("://") + 3).split(/[?/]/)[0]!;
  if (authority.slice(authority.lastIndexOf("@") + 1).includes(",")) throw unsupported("a URL with several hosts");
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw unsupported("a URL that does not parse");
  }
  for (const [name, value] of url.searchParams) {
    if (name === "sslmode" && value === "disable") continue;
    throw unsupported(name === "sslmode" ? `sslmode=${value} (TLS)` : `the URL parameter ${name}`);
  }
  const ssl = env("PGSSL");
  if (ssl && ssl !== "disable" && ssl !== "false") throw unsupported(`PGSSL=${ssl} (TLS)`);
  if (env("PGTARGETSESSIONATTRS")) throw unsupported("PGTARGETSESSIONATTRS");
  const hostname = url.hostname || env("PGHOST") || "localhost";
  if (hostname.includes("/")) throw unsupported("a unix socket");
  if (hostname.includes(",")) throw unsupported("several hosts");
  if (hostname.startsWith("[")) throw unsupported("an IPv6 address");
  const port = Number(url.port || env("PGPORT") || 5432);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw unsupported(`the port ${url.port || env("PGPORT")}`);
  const user = decodeURIComponent(url.username) || env("PGUSERNAME") || env("PGUSER");
  if (!user) throw unsupported("a URL without a user (postgres.js then uses the OS user)");
  return {
    hostname,
    port,
    user,
    password: decodeURIComponent(url.password) || env("PGPASSWORD") || undefined,
    database: url.pathname.slice(1) || env("PGDATABASE") || user,
  };
}

/**
 * Reads the flags table once, within timeoutMs (connecting and authenticating included); the
 * time limit is start-timer.ts's, as setTimeout would cost this first read more than it takes.
 */
export function readFlagsOverWire(target: WireTarget, timeoutMs: number, connect: Connect): Promise<FlagDefinition[]> {
  let socket: WireSocket | null = null;
  let timedOut = false;
  return new Promise<FlagDefinition[]>((resolve, reject) => {
    const cancelTimeout = after(timeoutMs, () => {
      timedOut = true;
      if (socket) closeQuietly(socket);
      reject(new DatabaseTimeoutError(READ_FLAGS_TASK, timeoutMs));
    });
    const opened = connect(target.hostname, target.port).then((opened) => {
      socket = opened;
      if (timedOut) closeQuietly(opened);
      return opened;
    });
    opened
      .then((opened) => readFlagsOn(new Session(opened), target))
      .finally(() => {
        cancelTimeout();
        if (socket) closeQuietly(socket);
      })
      .then(resolve, reject);
  });
}

async function readFlagsOn(session: Session, target: WireTarget): Promise<FlagDefinition[]> {
  await session.send(startupMessage({ user: target.user, database: target.database, application_name: APPLICATION_NAME, client_encoding: "UTF8" }));
  await authenticate(session, target);
  await session.untilReady();
  await session.send(queryMessage(READ_FLAGS_SQL));
  const rows = await session.queryResult();
  await session.send(terminateMessage()).catch(() => {});
  return rows.map(flagDefinitionOf);
}

async function authenticate(session: Session, target: WireTarget): Promise<void> {
  let scram: ScramClient | null = null;
  const password = (how: string): string => {
    if (target.password === undefined) throw new UnsupportedByWireReader(`the server asks for a ${how} password and the URL has none: left to postgres.js`);
    return target.password;
  };
  for (;;) {
    const message = await session.next();
    if (message.type !== "R") throw unexpected(message, "an authentication request");
    const request = decodeAuthentication(message.body);
    switch (request.kind) {
      case "ok":
        return;
      case "cleartext-password":
        await session.send(passwordMessage(password("cleartext")));
        break;
      case "sasl":
        if (!request.mechanisms.includes(SCRAM_SHA_256)) {
          throw new UnsupportedByWireReader(`the server offers SASL ${request.mechanisms.join(", ")}, the first read speaks ${SCRAM_SHA_256} only: left to postgres.js`);
        }
        scram = scramClient(password("SCRAM"));
        await session.send(saslInitialResponse(SCRAM_SHA_256, scram.clientFirst));
        break;
      case "sasl-continue":
        if (!scram) throw new WireProtocolError("SASLContinue before SASL was chosen");
        await session.send(saslResponse(await scram.clientFinal(request.data)));
        break;
      case "sasl-final":
        if (!scram) throw new WireProtocolError("SASLFinal before SASL was chosen");
        scram.verifyServerFinal(request.data);
        break;
      case "md5-password":
        throw new UnsupportedByWireReader("the server asks for an MD5 password: left to postgres.js");
      case "other":
        throw new UnsupportedByWireReader(`the server asks for authentication type ${request.code}: left to postgres.js`);
    }
  }
}

/** One connection's messages in order; an ErrorResponse outside a query ends it with that error. */
class Session {
  readonly #reader = new MessageReader();
  readonly #chunk = new Uint8Array(16 * 1024);
  constructor(readonly socket: WireSocket) {}

  async send(bytes: Uint8Array): Promise<void> {
    for (let written = 0; written < bytes.length; ) written += await this.socket.write(bytes.subarray(written));
  }

  /** The next message that is not a notice or a parameter report; an ErrorResponse is thrown. */
  async next(): Promise<BackendMessage> {
    const message = await this.#nextAny();
    if (message.type === "E") throw decodeError(message.body);
    return message;
  }

  /** After authentication: parameter reports and the cancel key, then ReadyForQuery. */
  async untilReady(): Promise<void> {
    for (let message = await this.next(); message.type !== "Z"; message = await this.next()) {
      if (message.type !== "K") throw unexpected(message, "ReadyForQuery");
    }
  }

  /** One simple query's rows; an ErrorResponse is thrown once the server is ready again. */
  async queryResult(): Promise<Array<Record<string, unknown>>> {
    let columns: ColumnDescription[] | null = null;
    const rows: Array<Record<string, unknown>> = [];
    let error: Error | null = null;
    for (;;) {
      const message = await this.#nextAny();
      switch (message.type) {
        case "T":
          columns = decodeRowDescription(message.body);
          break;
        case "D":
          if (!columns) throw new WireProtocolError("a DataRow came before its RowDescription");
          rows.push(rowRecord(columns, decodeDataRow(message.body)));
          break;
        case "C":
        case "I":
          break;
        case "E":
          error = decodeError(message.body);
          break;
        case "Z":
          if (error) throw error;
          return rows;
        default:
          throw unexpected(message, "the query's result");
      }
    }
  }

  async #nextAny(): Promise<BackendMessage> {
    for (;;) {
      const message = this.#reader.next();
      if (message && (message.type === "N" || message.type === "S")) continue;
      if (message) return message;
      const read = await this.socket.read(this.#chunk);
      if (read === null) throw new WireProtocolError("the server closed the connection");
      this.#reader.push(this.#chunk.subarray(0, read));
    }
  }
}

function unexpected(message: BackendMessage, expected: string): WireProtocolError {
  return new WireProtocolError(`the server sent message type ${JSON.stringify(message.type)} where ${expected} belongs`);
}

function closeQuietly(socket: WireSocket): void {
  try {
    socket.close();
  } catch {
    // Closed already.
  }
}
