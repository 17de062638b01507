// The OFREP ETag's hash: FNV-1a with 64 bits on two 32-bit halves gives what the same algorithm
// gives with BigInt arithmetic (the reference below), including the published test vectors.
import { describe, expect, it } from "vitest";
import { Fnv64 } from "../../../functions/feature-flags/fnv64.ts";

function referenceHex(bytes: Iterable<number>): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, "0");
}

function utf16leBytes(text: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) bytes.push(text.charCodeAt(i) & 0xff, text.charCodeAt(i) >>> 8);
  return bytes;
}

describe("Fnv64", () => {
  it("gives the published FNV-1a 64 values", () => {
    expect(new Fnv64().hex()).toBe("cbf29ce484222325");
    const bytesOf = (ascii: string) => [...ascii].map((c) => c.charCodeAt(0));
    const add = (ascii: string) => bytesOf(ascii).reduce((h, b) => h.byte(b), new Fnv64()).hex();
    expect(add("a")).toBe("af63dc4c8601ec8c");
    expect(add("foobar")).toBe("85944171f73967e8");
  });

  it("agrees with BigInt arithmetic on random bytes, integers and texts", () => {
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let round = 0; round < 200; round++) {
      const bytes = Array.from({ length: random() % 64 }, () => random() & 0xff);
      expect(bytes.reduce((h, b) => h.byte(b), new Fnv64()).hex()).toBe(referenceHex(bytes));
      const word = random();
      expect(new Fnv64().uint32(word).hex()).toBe(referenceHex([word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24]));
    }
    for (const text of ["", "DLQ_ENABLED", "é ✓ 🚀", "\u0000\uffff", '{"key":"A","value":true}']) {
      expect(new Fnv64().text(text).hex()).toBe(referenceHex(utf16leBytes(text)));
    }
    const hash = new Fnv64().text("x");
    expect(new Fnv64().uint32(hash.high).uint32(hash.low).hex()).toBe(
      referenceHex([hash.high, hash.low].flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24])),
    );
  });
});
