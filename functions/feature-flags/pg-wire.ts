// PostgreSQL's frontend/backend protocol (version 3.0), as far as one read-only simple query
// needs it: the messages the client sends, a reader that cuts the byte stream into the server's
// messages, and decoders for them. Bytes in, values out: no socket, so it is tested in Node.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Something this reader does not do; the caller uses postgres.js instead, which does. */
export class UnsupportedByWireReader extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedByWireReader";
  }
}

/** An ErrorResponse from the server: its message, with the SQLSTATE as `code` (as postgres.js has it). */
export class PostgresServerError extends Error {
  constructor(message: string, readonly code: string, readonly severity: string) {
    super(message);
    this.name = "PostgresServerError";
  }
}

/** A server that does not follow the protocol (or is not PostgreSQL). */
export class WireProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireProtocolError";
  }
}

// ---- Frontend messages ----

/** Concatenates parts: strings as UTF-8 with a terminating zero byte, numbers as int32, bytes as they are. */
function body(parts: ReadonlyArray<string | number | Uint8Array>): Uint8Array {
  const chunks = parts.map((part) => {
    if (typeof part === "string") return Uint8Array.from([...encoder.encode(part), 0]);
    if (typeof part === "number") return int32(part);
    return part;
  });
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function int32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, value);
  return bytes;
}

/** A message with a type byte: type, int32 length (itself included), body. */
function message(type: string, content: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + content.length);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setInt32(1, 4 + content.length);
  out.set(content, 5);
  return out;
}

const PROTOCOL_3_0 = 196608;

/** StartupMessage: protocol 3.0 and the connection parameters (no type byte). */
export function startupMessage(parameters: Readonly<Record<string, string>>): Uint8Array {
  const content = body([PROTOCOL_3_0, ...Object.entries(parameters).flat(), new Uint8Array([0])]);
  return Uint8Array.from([...int32(4 + content.length), ...content]);
}

/** PasswordMessage with a cleartext password. */
export function passwordMessage(password: string): Uint8Array {
  return message("p", body([password]));
}

export function saslInitialResponse(mechanism: string, data: string): Uint8Array {
  const bytes = encoder.encode(data);
  return message("p", body([mechanism, bytes.length, bytes]));
}

export function saslResponse(data: string): Uint8Array {
  return message("p", encoder.encode(data));
}

export function queryMessage(sql: string): Uint8Array {
  return message("Q", body([sql]));
}

export function terminateMessage(): Uint8Array {
  return message("X", new Uint8Array());
}

// ---- Backend messages ----

export interface BackendMessage {
  /** The type byte as a character: "R", "E", "T", "D", "Z", ... */
  type: string;
  body: Uint8Array;
}

/** Largest message accepted: a flags table row is far smaller; more means a wrong peer. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Cuts the bytes a server sends, arriving in any chunks, into whole messages. */
export class MessageReader {
  #buffer = new Uint8Array(0);

  push(chunk: Uint8Array): void {
    if (this.#buffer.length === 0) {
      this.#buffer = chunk.slice();
      return;
    }
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    this.#buffer = joined;
  }

  /** The next whole message, or null until more bytes arrive. */
  next(): BackendMessage | null {
    if (this.#buffer.length < 5) return null;
    const length = new DataView(this.#buffer.buffer, this.#buffer.byteOffset).getInt32(1);
    if (length < 4 || length > MAX_MESSAGE_BYTES) throw new WireProtocolError(`the server sent a message of impossible length ${length}`);
    if (this.#buffer.length < 1 + length) return null;
    const found = { type: String.fromCharCode(this.#buffer[0]!), body: this.#buffer.subarray(5, 1 + length) };
    this.#buffer = this.#buffer.subarray(1 + length);
    return found;
  }
}

/** Reads a message body front to back. */
class Cursor {
  #at = 0;
  readonly #view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get done(): boolean {
    return this.#at >= this.bytes.length;
  }
  int16(): number {
    const value = this.#view.getInt16(this.#at);
    this.#at += 2;
    return value;
  }
  int32(): number {
    const value = this.#view.getInt32(this.#at);
    this.#at += 4;
    return value;
  }
  byte(): number {
    return this.#view.getUint8(this.#at++);
  }
  cstring(): string {
    const end = this.bytes.indexOf(0, this.#at);
    if (end < 0) throw new WireProtocolError("a string in a server message has no terminating zero");
    const value = decoder.decode(this.bytes.subarray(this.#at, end));
    this.#at = end + 1;
    return value;
  }
  bytesOf(length: number): Uint8Array {
    if (this.#at + length > this.bytes.length) throw new WireProtocolError("a server message is shorter than its fields");
    const value = this.bytes.subarray(this.#at, this.#at + length);
    this.#at += length;
    return value;
  }
  rest(): Uint8Array {
    return this.bytesOf(this.bytes.length - this.#at);
  }
}

/** An Authentication ('R') request, by its code. */
export type AuthenticationRequest =
  | { kind: "ok" }
  | { kind: "cleartext-password" }
  | { kind: "md5-password" }
  | { kind: "sasl"; mechanisms: string[] }
  | { kind: "sasl-continue"; data: string }
  | { kind: "sasl-final"; data: string }
  | { kind: "other"; code: number };

export function decodeAuthentication(bytes: Uint8Array): AuthenticationRequest {
  const cursor = new Cursor(bytes);
  const code = cursor.int32();
  switch (code) {
    case 0:
      return { kind: "ok" };
    case 3:
      return { kind: "cleartext-password" };
    case 5:
      return { kind: "md5-password" };
    case 10: {
      const mechanisms: string[] = [];
      for (let name = cursor.cstring(); name !== ""; name = cursor.cstring()) mechanisms.push(name);
      return { kind: "sasl", mechanisms };
    }
    case 11:
      return { kind: "sasl-continue", data: decoder.decode(cursor.rest()) };
    case 12:
      return { kind: "sasl-final", data: decoder.decode(cursor.rest()) };
    default:
      return { kind: "other", code };
  }
}

/** ErrorResponse ('E') or NoticeResponse ('N'): its fields by code letter ("M" message, "C" SQLSTATE...). */
export function decodeFields(bytes: Uint8Array): Map<string, string> {
  const cursor = new Cursor(bytes);
  const fields = new Map<string, string>();
  for (let code = cursor.byte(); code !== 0; code = cursor.byte()) fields.set(String.fromCharCode(code), cursor.cstring());
  return fields;
}

export function decodeError(bytes: Uint8Array): PostgresServerError {
  const fields = decodeFields(bytes);
  return new PostgresServerError(fields.get("M") ?? "the server reported an error without a message", fields.get("C") ?? "", fields.get("S") ?? "ERROR");
}

export interface ColumnDescription {
  name: string;
  typeOid: number;
  /** 0 text, 1 binary (a simple query always answers in text). */
  format: number;
}

export function decodeRowDescription(bytes: Uint8Array): ColumnDescription[] {
  const cursor = new Cursor(bytes);
  const count = cursor.int16();
  const columns: ColumnDescription[] = [];
  for (let i = 0; i < count; i++) {
    const name = cursor.cstring();
    cursor.int32(); // table oid
    cursor.int16(); // column number
    const typeOid = cursor.int32();
    cursor.int16(); // type size
    cursor.int32(); // type modifier
    columns.push({ name, typeOid, format: cursor.int16() });
  }
  return columns;
}

/** DataRow ('D'): each column's text, null for SQL NULL. */
export function decodeDataRow(bytes: Uint8Array): Array<string | null> {
  const cursor = new Cursor(bytes);
  const count = cursor.int16();
  const values: Array<string | null> = [];
  for (let i = 0; i < count; i++) {
    const length = cursor.int32();
    values.push(length < 0 ? null : decoder.decode(cursor.bytesOf(length)));
  }
  return values;
}

const BOOL_OID = 16;
/** int2, int4, oid, float4, float8: the types postgres.js parses to a number by default. */
const NUMBER_OIDS = new Set([21, 23, 26, 700, 701]);

/** A column's text as postgres.js's default parsers give it: booleans, numbers, else the text. */
export function parseTextValue(typeOid: number, text: string | null): unknown {
  if (text === null) return null;
  if (typeOid === BOOL_OID) return text === "t";
  if (NUMBER_OIDS.has(typeOid)) return +text;
  return text;
}

/** The rows of one result, as postgres.js gives them: one record per row, by column name. */
export function rowRecord(columns: readonly ColumnDescription[], values: ReadonlyArray<string | null>): Record<string, unknown> {
  if (values.length !== columns.length) throw new WireProtocolError(`a row has ${values.length} values for ${columns.length} columns`);
  const row: Record<string, unknown> = {};
  columns.forEach((column, i) => {
    if (column.format !== 0) throw new WireProtocolError(`column ${column.name} came in binary, a simple query answers in text`);
    row[column.name] = parseTextValue(column.typeOid, values[i]!);
  });
  return row;
}
