// SHA-256 as hex text, synchronous, for the OFREP ETags.
//
// node:crypto's createHash is native and the fastest way to it, but importing node:crypto takes
// Deno longer (about 35 ms here) than the rest of the function's start. So the function starts
// without it: until loadNativeSha256() has loaded it (index.ts calls it after the first answer),
// the pure-TS digest of _shared/sha256.ts answers. Both give the same digest, so an ETag
// does not change when the native one takes over; only the cost per call does (for a
// two-flag OFREP body about 4.5 µs against 1.8 µs).

import { sha256 } from "../_shared/sha256.ts";

type CreateHash = (algorithm: "sha256") => { update(text: string): { digest(encoding: "hex"): string } };

let nativeCreateHash: CreateHash | null = null;
const encoder = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** The hex SHA-256 of the UTF-8 text. */
export function sha256Hex(text: string): string {
  if (nativeCreateHash !== null) return nativeCreateHash("sha256").update(text).digest("hex");
  let hex = "";
  for (const byte of sha256(encoder.encode(text))) hex += HEX[byte];
  return hex;
}

/** Loads node:crypto for sha256Hex; until it resolves, the pure-TS digest is used. */
export async function loadNativeSha256(): Promise<void> {
  const { createHash } = await import("node:crypto");
  nativeCreateHash = createHash as CreateHash;
}

/** Which digest sha256Hex uses now (tests, benchmarks). */
export function nativeSha256Loaded(): boolean {
  return nativeCreateHash !== null;
}
