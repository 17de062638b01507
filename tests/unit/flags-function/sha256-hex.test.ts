// sha256-hex.ts: the pure-TS digest the function starts with and node:crypto, loaded after the
// first answer, give the same hex for every text, so ETags do not change over.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { loadNativeSha256, nativeSha256Loaded, sha256Hex } from "../../../functions/feature-flags/sha256-hex.ts";

const texts = ["", "abc", "ü€😀", "x".repeat(55), "y".repeat(56), "z".repeat(64), '{"flags":[]}'.repeat(500), "a\u0000b\nc"];
const nodeHex = (text: string) => createHash("sha256").update(text).digest("hex");

describe("sha256Hex", () => {
  it("before node:crypto is loaded: the pure-TS digest, equal to node:crypto's", () => {
    expect(nativeSha256Loaded()).toBe(false);
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    for (const text of texts) expect(sha256Hex(text), JSON.stringify(text.slice(0, 20))).toBe(nodeHex(text));
  });

  it("after loadNativeSha256(): node:crypto, the same hex", async () => {
    const before = texts.map(sha256Hex);
    await loadNativeSha256();
    expect(nativeSha256Loaded()).toBe(true);
    expect(texts.map(sha256Hex)).toEqual(before);
  });
});
