// Which configured API key an `apikey` header holds, checked as @supabase/server's verifyAuth checks
// its "publishable:*" and "secret:*" modes: every named key in the set's order, each compared in
// constant time, the first equal one wins. This is the function's only API-key check (auth.ts);
// @supabase/server is loaded for user JWTs alone, so a key request never waits for it.

import type { KeySet } from "./auth-env.ts";

const encoder = new TextEncoder();

/** The name of the first key in `keys` equal to `apikey`, or null. */
export async function matchingKeyName(apikey: string, keys: KeySet): Promise<string | null> {
  for (const [name, value] of Object.entries(keys)) {
    if (await timingSafeEqual(apikey, value)) return name;
  }
  return null;
}

/**
 * Equal text, in time that tells nothing about where two values differ or how long they are: both
 * are signed with a random one-off HMAC key and the fixed-length signatures compared in full (the
 * technique @supabase/server uses). A value that is not a string (a key set's JSON may hold one)
 * is encoded as TextEncoder encodes it there, so both checks accept exactly the same headers.
 */
async function timingSafeEqual(a: string, b: unknown): Promise<boolean> {
  const key = await crypto.subtle.importKey("raw", crypto.getRandomValues(new Uint8Array(32)), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const [signedA, signedB] = await Promise.all([
    crypto.subtle.sign("HMAC", key, encoder.encode(a)),
    crypto.subtle.sign("HMAC", key, encoder.encode(b as string)),
  ]);
  if (signedA.byteLength !== signedB.byteLength) return false;
  const viewA = new Uint8Array(signedA);
  const viewB = new Uint8Array(signedB);
  let difference = 0;
  for (let i = 0; i < viewA.length; i++) difference |= viewA[i]! ^ viewB[i]!;
  return difference === 0;
}
