// A small bounded memo of credentials that already verified, so a caller that sends the same API
// key or user JWT on every request pays the checks' crypto (HMAC compares per configured key in
// api-keys.ts; JWKS import and JWT signature check in @supabase/server) once instead of on every
// lookup.
//
// Safety:
//   - Only successes are stored; a wrong credential is verified (and refused) every time.
//   - Requests with a JWT are keyed by a SHA-256 of the exact credential headers, never the raw
//     token, and the whole set of headers the checks read, so a right key next to a forged JWT
//     is a different entry (and refused). An API key alone is keyed by its own text (auth.ts):
//     it is stored only once it verified, that is when it equals a key the environment holds.
//   - A user JWT is kept only until its `exp`, never beyond; a JWT without `exp` is not kept.
//   - Key rotation: the memo lives in one isolate, whose keys come from the environment at start;
//     a rotated key means new environment, so a new isolate and an empty memo. A JWT signed by a
//     key later dropped from a remote JWKS stays accepted here until its own `exp` at the latest.
//   - Bounded: when full, the oldest entry goes (insertion order), so memory stays flat however
//     many distinct credentials arrive.

import { sha256Hex } from "./sha256-hex.ts";

export const DEFAULT_MEMO_ENTRIES = 1_000;

interface Entry<T> {
  value: T;
  /** Date.now() milliseconds from which the entry is no longer served (Infinity: never expires). */
  expiresAtMs: number;
}

export class CredentialMemo<T> {
  readonly #entries = new Map<string, Entry<T>>();

  constructor(
    readonly maxEntries: number = DEFAULT_MEMO_ENTRIES,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error(`maxEntries must be a positive integer, got ${maxEntries}`);
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): T | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    // API keys never expire here: no clock read for them.
    if (entry.expiresAtMs !== Infinity && this.now() >= entry.expiresAtMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: T, expiresAtMs = Infinity): void {
    if (this.now() >= expiresAtMs) return;
    this.#entries.delete(key);
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { value, expiresAtMs });
  }
}

/**
 * The memo key for a set of header values: a hex SHA-256, so no raw secret is held as a key.
 * sha256-hex.ts: node:crypto once loaded, as it is synchronous and native (for a ~400-byte JWT it
 * costs a fraction of the pure-TS digest, which serves until then).
 */
export function credentialKey(...parts: Array<string | null>): string {
  // Neither "\n" nor NUL can occur inside a header value, so distinct header sets (an absent
  // header marked NUL) never join to the same text.
  return sha256Hex(parts.map((part) => (part === null ? "\u0000" : part)).join("\n"));
}
