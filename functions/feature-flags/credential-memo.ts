// A small bounded memo of credentials that already verified, so a caller that sends the same API
// key or user JWT on every request pays the checks' crypto (HMAC compares per configured key in
// api-keys.ts; JWKS import and JWT signature check in @supabase/server) once instead of on every
// lookup.
//
// Safety:
//   - Only successes are stored; a wrong credential is verified (and refused) every time.
//   - Keyed by the exact text of the headers the checks read (credentialKey), so a right key next
//     to a forged JWT is a different entry (and refused). So the memo holds credentials that
//     verified, as they came: an API key then equals a key the environment already holds, and a
//     user JWT is worth less than what the isolate holds anyway (its secret keys bypass RLS
//     altogether). A digest as the key would hide nothing from a reader of this memory that it
//     could not already use, and hashing a ~500-byte JWT cost more than the rest of a lookup's
//     authentication (and loading node:crypto for it, a tenth of a cold start).
//   - A user JWT is kept only until its `exp`, never beyond; a JWT without `exp` is not kept.
//   - Key rotation: the memo lives in one isolate, whose keys come from the environment at start;
//     a rotated key means new environment, so a new isolate and an empty memo. A JWT signed by a
//     key later dropped from a remote JWKS stays accepted here until its own `exp` at the latest.
//   - Bounded: when full, the oldest entry goes (insertion order), so memory stays flat however
//     many distinct credentials arrive; and a key longer than MAX_KEY_CHARS is never kept.

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
 * The memo key for a request's credential headers, or null when they are not to be remembered:
 * an API key alone is its own text; with an Authorization header, both headers joined by a
 * newline, an absent apikey marked NUL. Neither "\n" nor NUL can occur inside a header value, so
 * distinct header sets never share a key.
 */
export function credentialKey(authorization: string | null, apikey: string | null): string | null {
  const key = authorization === null ? apikey : `${authorization}\n${apikey ?? "\u0000"}`;
  // Longer than any real credential pair: checked every time, never remembered, so the memo's
  // size stays bounded whatever a caller sends (a right publishable key next to an Authorization
  // header of any length verifies, and would otherwise be kept, text and all).
  return key !== null && key.length <= MAX_KEY_CHARS ? key : null;
}

/** Supabase's user JWTs are about 1 KB; API keys are tens of characters. */
export const MAX_KEY_CHARS = 8 * 1024;
