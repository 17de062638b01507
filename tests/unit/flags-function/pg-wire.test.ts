// The wire-protocol messages of the function's first read (pg-wire.ts) and its SCRAM-SHA-256
// client (scram.ts): bytes as the protocol documentation lays them out, RFC 7677's exchange.
import { describe, expect, it } from "vitest";
import {
  MessageReader,
  PostgresServerError,
  WireProtocolError,
  decodeAuthentication,
  decodeDataRow,
  decodeError,
  decodeRowDescription,
  passwordMessage,
  queryMessage,
  rowRecord,
  saslInitialResponse,
  saslResponse,
  startupMessage,
  terminateMessage,
} from "../../../functions/feature-flags/pg-wire.ts";
import { scramClient } from "../../../functions/feature-flags/scram.ts";
import { backendMessage, int16, int32, text } from "./wire-bytes.ts";

const bytes = (...parts: Array<number[] | Uint8Array>) => Uint8Array.from(parts.flatMap((part) => [...part]));

describe("frontend messages", () => {
  it("StartupMessage: length, protocol 3.0, zero-terminated name/value pairs, a final zero", () => {
    expect(startupMessage({ user: "u", database: "d" })).toEqual(bytes(int32(27), int32(196608), text("user"), text("u"), text("database"), text("d"), [0]));
  });

  it("Query, PasswordMessage, SASLInitialResponse, SASLResponse, Terminate", () => {
    expect(queryMessage("select 1")).toEqual(bytes([0x51], int32(13), text("select 1")));
    expect(passwordMessage("pw")).toEqual(bytes([0x70], int32(7), text("pw")));
    expect(saslInitialResponse("SCRAM-SHA-256", "n,,n=*,r=x")).toEqual(bytes([0x70], int32(32), text("SCRAM-SHA-256"), int32(10), new TextEncoder().encode("n,,n=*,r=x")));
    expect(saslResponse("c=biws")).toEqual(bytes([0x70], int32(10), new TextEncoder().encode("c=biws")));
    expect(terminateMessage()).toEqual(bytes([0x58], int32(4)));
  });

  it("UTF-8 text is counted in bytes", () => {
    expect(queryMessage("select 'ü'")).toEqual(bytes([0x51], int32(16), text("select 'ü'")));
  });
});

describe("MessageReader", () => {
  it("cuts messages out of chunks split anywhere, one byte at a time included", () => {
    const stream = bytes(backendMessage("R", int32(0)), backendMessage("Z", [0x49]), backendMessage("C", text("SELECT 2")));
    for (const size of [1, 2, 5, 7, stream.length]) {
      const reader = new MessageReader();
      const seen: string[] = [];
      for (let at = 0; at < stream.length; at += size) {
        reader.push(stream.subarray(at, at + size));
        for (let message = reader.next(); message; message = reader.next()) seen.push(`${message.type}:${message.body.length}`);
      }
      expect(seen, `chunks of ${size}`).toEqual(["R:4", "Z:1", "C:9"]);
    }
  });

  it("waits for the rest of a message, and refuses an impossible length", () => {
    const reader = new MessageReader();
    reader.push(bytes([0x52], int32(8), [0, 0]));
    expect(reader.next()).toBeNull();
    const wrong = new MessageReader();
    wrong.push(bytes([0x52], int32(2)));
    expect(() => wrong.next()).toThrow(WireProtocolError);
  });
});

describe("backend messages", () => {
  it("Authentication requests by code", () => {
    expect(decodeAuthentication(int32(0))).toEqual({ kind: "ok" });
    expect(decodeAuthentication(int32(3))).toEqual({ kind: "cleartext-password" });
    expect(decodeAuthentication(bytes(int32(5), [1, 2, 3, 4]))).toEqual({ kind: "md5-password" });
    expect(decodeAuthentication(bytes(int32(10), text("SCRAM-SHA-256-PLUS"), text("SCRAM-SHA-256"), [0]))).toEqual({ kind: "sasl", mechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"] });
    expect(decodeAuthentication(bytes(int32(11), new TextEncoder().encode("r=abc,s=c2FsdA==,i=4096")))).toEqual({ kind: "sasl-continue", data: "r=abc,s=c2FsdA==,i=4096" });
    expect(decodeAuthentication(bytes(int32(12), new TextEncoder().encode("v=xyz")))).toEqual({ kind: "sasl-final", data: "v=xyz" });
    expect(decodeAuthentication(int32(7))).toEqual({ kind: "other", code: 7 });
  });

  it("ErrorResponse: the server's message and SQLSTATE", () => {
    const error = decodeError(bytes([0x53], text("FATAL"), [0x43], text("28P01"), [0x4d], text('password authentication failed for user "postgres"'), [0]));
    expect(error).toBeInstanceOf(PostgresServerError);
    expect(error.message).toBe('password authentication failed for user "postgres"');
    expect(error.code).toBe("28P01");
    expect(error.severity).toBe("FATAL");
  });

  it("RowDescription and DataRow into a record parsed as postgres.js parses text (bool, numbers, NULL, text)", () => {
    const column = (name: string, typeOid: number) => bytes(text(name), int32(0), int16(0), int32(typeOid), int16(-1), int32(-1), int16(0));
    const columns = decodeRowDescription(bytes(int16(5), column("key", 25), column("enabled", 16), column("rollout_percentage", 701), column("bucket_group", 25), column("n", 23)));
    expect(columns.map((c) => [c.name, c.typeOid, c.format])).toEqual([["key", 25, 0], ["enabled", 16, 0], ["rollout_percentage", 701, 0], ["bucket_group", 25, 0], ["n", 23, 0]]);
    const value = (s: string) => bytes(int32(new TextEncoder().encode(s).length), new TextEncoder().encode(s));
    const values = decodeDataRow(bytes(int16(5), value("Ünïcode_KEY"), value("f"), value("33.33"), int32(-1), value("-7")));
    expect(values).toEqual(["Ünïcode_KEY", "f", "33.33", null, "-7"]);
    expect(rowRecord(columns, values)).toEqual({ key: "Ünïcode_KEY", enabled: false, rollout_percentage: 33.33, bucket_group: null, n: -7 });
    expect(rowRecord(columns.slice(1, 3), ["t", "Infinity"])).toEqual({ enabled: true, rollout_percentage: Infinity });
    expect(() => rowRecord(columns, ["x"])).toThrow(/1 values for 5 columns/);
  });
});

describe("SCRAM-SHA-256", () => {
  // RFC 7677, section 3: user "user", password "pencil".
  const clientNonce = "rOprNGfwEbeRWgbNEkqO";
  const serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
  const serverFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

  it("produces RFC 7677's client messages and accepts its server signature", async () => {
    const client = scramClient("pencil", { user: "user", nonce: clientNonce });
    expect(client.clientFirst).toBe("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    expect(await client.clientFinal(serverFirst)).toBe("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    expect(() => client.verifyServerFinal(serverFinal)).not.toThrow();
  });

  it("refuses a server signature made without the password, a server error, and a nonce it did not extend", async () => {
    const client = scramClient("not-pencil", { user: "user", nonce: clientNonce });
    await client.clientFinal(serverFirst);
    expect(() => client.verifyServerFinal(serverFinal)).toThrow(/does not know the password/);
    expect(() => client.verifyServerFinal("e=invalid-proof")).toThrow(/invalid-proof/);
    await expect(scramClient("pencil", { nonce: "other-nonce" }).clientFinal(serverFirst)).rejects.toThrow(/nonce/);
  });

  it("sends * as the user (PostgreSQL takes the user from the startup message) and a fresh nonce each time", () => {
    const [a, b] = [scramClient("pw").clientFirst, scramClient("pw").clientFirst];
    expect(a).toMatch(/^n,,n=\*,r=[A-Za-z0-9+/]{24}$/);
    expect(a).not.toBe(b);
  });
});
