// Who is calling, checked with @supabase/server's verifyAuth (passed in by index.ts, so this
// file has no npm: import and runs in Node tests as well).
//
//   reads  (lookups, OFREP, health): a user JWT, a publishable key or a secret key
//   writes (PATCH):                  a secret key only
// Keys come from SUPABASE_PUBLISHABLE_KEYS / SUPABASE_SECRET_KEYS (any named key is accepted,
// so keys can be rotated), JWTs are checked against SUPABASE_JWKS / SUPABASE_JWKS_URL.
// Credentials that verified are remembered (credential-memo.ts) so a repeat caller skips the crypto.

import { CredentialMemo, credentialKey, DEFAULT_MEMO_ENTRIES } from "./credential-memo.ts";
import { fail, ok, type ApiResult } from "./errors.ts";

/** The part of @supabase/server's AuthResult this function uses. */
export interface VerifiedAuth {
  authMode: "none" | "publishable" | "secret" | "user";
  keyName?: string | null;
  userClaims?: { id: string } | null;
  /** The verified JWT's claims; `exp` (seconds since the epoch) bounds how long it is remembered. */
  jwtClaims?: { exp?: unknown } | null;
}

/** The shape of @supabase/server/core's verifyAuth. */
export type VerifyAuth = (
  request: Request,
  options: { auth: Array<"user" | `publishable:${string}` | `secret:${string}`>; env?: object },
) => Promise<{ data: VerifiedAuth; error: null } | { data: null; error: { message: string; status: number; code?: string } }>;

export interface Caller {
  mode: "user" | "publishable" | "secret";
  /** Names the caller in the audit trail: `user:<id>` or `<mode> key "<name>"`. */
  actor: string;
}

const READERS = ["user", "publishable:*", "secret:*"] as const;
const WRITERS = ["secret:*"] as const;

export interface Authenticator {
  /** Synchronous when the credential is remembered (no verification to wait for). */
  reader(request: Request): ApiResult<Caller> | Promise<ApiResult<Caller>>;
  writer(request: Request): Promise<ApiResult<Caller>>;
}

export interface AuthenticatorOptions {
  /** How many verified credentials to remember (default 1,000). */
  memoEntries?: number;
  /** The clock the memo checks JWT expiry against (tests). */
  now?: () => number;
}

/**
 * authEnv: @supabase/server env overrides, e.g. its resolveEnv() result resolved once at start
 * (index.ts) so no request re-reads and re-parses the environment; empty to read the runtime
 * environment on each verification.
 */
export function createAuthenticator(verifyAuth: VerifyAuth, authEnv: object = {}, options: AuthenticatorOptions = {}): Authenticator {
  const now = options.now ?? Date.now;
  // One memo per set of modes (readers, writers), as the modes decide verifyAuth's answer too. It
  // holds the whole answer (frozen), so a remembered caller costs no allocation.
  const entries = options.memoEntries ?? DEFAULT_MEMO_ENTRIES;
  const memos = { readers: new CredentialMemo<ApiResult<Caller>>(entries, now), writers: new CredentialMemo<ApiResult<Caller>>(entries, now) };
  type Mode = "user" | `publishable:${string}` | `secret:${string}`;
  type Memo = (typeof memos)["readers"];
  const verify = async (request: Request, modes: readonly Mode[], memo: Memo, key: string | null): Promise<ApiResult<Caller>> => {
    const { data, error } = await verifyAuth(request, { auth: [...modes], env: authEnv });
    if (error) {
      if (error.status >= 500) return fail("not_configured", `authentication is not configured: ${error.message}`);
      return fail("unauthorized", "send a publishable key, a secret key (apikey header) or a user JWT (Authorization: Bearer)");
    }
    if (data.authMode === "none") return fail("unauthorized", "credentials are required");
    const actor = data.authMode === "user" ? `user:${data.userClaims?.id ?? "unknown"}` : `${data.authMode} key "${data.keyName ?? "default"}"`;
    const result = Object.freeze(ok(Object.freeze<Caller>({ mode: data.authMode, actor })));
    if (key !== null) {
      if (data.authMode !== "user") memo.set(key, result);
      else if (typeof data.jwtClaims?.exp === "number") memo.set(key, result, data.jwtClaims.exp * 1000);
      // A JWT without exp is verified every time: there is no bound to remember it until.
    }
    return result;
  };
  const check = (request: Request, modes: readonly Mode[], memo: Memo): ApiResult<Caller> | Promise<ApiResult<Caller>> => {
    // verifyAuth reads exactly these two headers, so they (and the modes) decide its answer.
    const authorization = request.headers.get("authorization");
    const apikey = request.headers.get("apikey");
    // An API key alone (no Authorization header) is remembered by its own text, which costs no
    // hash and no new string per request: it is stored only once it verified, that is when it
    // equals one of the keys in this isolate's environment, so the memo holds no secret the
    // isolate did not hold. Its entries cannot meet the hashed ones (those start with a newline,
    // which no header value holds).
    const key = authorization === null ? apikey : `\n${credentialKey(authorization, apikey)}`;
    return (key === null ? undefined : memo.get(key)) ?? verify(request, modes, memo, key);
  };
  return {
    reader: (request) => check(request, READERS, memos.readers),
    async writer(request) {
      const writer = await check(request, WRITERS, memos.writers);
      if (writer.data || writer.error.code === "not_configured") return writer;
      // Tell "valid but not allowed to write" (403) from "not a valid credential" (401).
      const reader = await check(request, READERS, memos.readers);
      if (reader.error) return reader;
      return fail("secret_key_required", `changing a flag needs a secret key; this request has a ${reader.data.mode === "user" ? "user JWT" : "publishable key"}`);
    },
  };
}
