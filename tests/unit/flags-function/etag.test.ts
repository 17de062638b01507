// The OFREP bulk ETag: the same tag the function sent before it hashed synchronously (first 16
// bytes of the body's SHA-256 by WebCrypto), so ETags clients hold stay valid across the change.
import { describe, expect, it } from "vitest";
import { etagOf } from "../../../functions/feature-flags/ofrep.ts";

async function webCryptoTag(body: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
  return `"${Array.from(digest.subarray(0, 16), (byte) => byte.toString(16).padStart(2, "0")).join("")}"`;
}

describe("etagOf", () => {
  it.each(["", "[]", JSON.stringify([{ key: "DLQ_ENABLED", value: true, metadata: { note: "é ✓ 🚀" } }]), "x".repeat(10_000)])(
    "matches the WebCrypto tag for %#",
    async (body) => {
      expect(etagOf(body)).toMatch(/^"[0-9a-f]{32}"$/);
      expect(etagOf(body)).toBe(await webCryptoTag(body));
    },
  );

  it("differs when one byte of the body differs", () => {
    expect(etagOf('{"value":true}')).not.toBe(etagOf('{"value":false}'));
  });
});
