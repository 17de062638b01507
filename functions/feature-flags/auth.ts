// Who is calling, with @supabase/server's rules:
//
//   reads  (lookups, OFREP, health): a user JWT, a publishable key or a secret key
//   writes (PATCH):                  a secret key only
// Keys come from SUPABASE_PUBLISHABLE_KEYS / SUPABASE_SECRET_KEYS (any named key is accepted,
// so keys can be rotated), JWTs are checked against SUPABASE_JWKS / SUPABASE_JWKS_URL (auth-env.ts).
//
// API keys are checked here (api-keys.ts) and user JWTs by @supabase/server's verifyAuth, which
// index.ts loads only when first needed: it brings all of supabase-js and jose, most of a cold
// start, and the common caller (app code with the publishable key) needs neither. The order of
// the checks is verifyAuth's own for ["user", "publishable:*", "secret:*"], so the answers are the
// ones verifyAuth gives (tests/unit/flags-function/auth-agreement.test.ts compares them).
// Credentials that verified are remembered (credential-memo.ts) so a repeat caller skips the crypto.
// This file has no npm: import and runs in Node tests as well.

import { matchingKeyName } from "./api-keys.ts";
import type { AuthEnv, AuthEnvResult } from "./auth-env.ts";
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

export type Verified = { data: VerifiedAuth; error: null } | { data: null; error: { message: string; status: number; code?: string } };

/** The shape of @supabase/server/core's verifyAuth, as used here: user JWTs only. */
export type VerifyAuth = (request: Request, options: { auth: Array<"user">; env: AuthEnv }) => Promise<Verified>;

/** Loads verifyAuth (index.ts: a dynamic import, started at most once). */
export type LoadVerifyAuth = () => Promise<VerifyAuth>;

export interface Caller {
  mode: "user" | "publishable" | "secret";
  /** Names the caller in the audit trail: `user:<id>` or `<mode> key "<name>"`. */
  actor: string;
}

export type Mode = "user" | "publishable:*" | "secret:*";
export const READERS: readonly Mode[] = ["user", "publishable:*", "secret:*"];
export const WRITERS: readonly Mode[] = ["secret:*"];

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

/** The token of an `Authorization: Bearer <token>` header, as verifyAuth extracts it. */
export function bearerToken(authorization: string | null): string | null {
  return authorization?.startsWith("Bearer ") ? authorization.slice(7) || null : null;
}

/** Who sent `request`, if it carries a credential one of `modes` accepts. */
export type CheckCredentials = (request: Request, modes: readonly Mode[]) => Promise<Verified>;

/**
 * The function's CheckCredentials: verifyAuth's answer for `modes`, in its order. A user JWT that
 * is present and checkable (not an `sb_` key, a JWKS configured) decides alone, valid or not, and
 * only it loads verifyAuth; else each API-key mode tries the apikey header in turn.
 * env: resolveAuthEnv's reading, once per isolate.
 */
export function credentialChecker(env: AuthEnvResult, loadVerifyAuth: LoadVerifyAuth): CheckCredentials {
  return (request, modes) => verifyCredentials(request, modes, env, loadVerifyAuth);
}

async function verifyCredentials(request: Request, modes: readonly Mode[], env: AuthEnvResult, loadVerifyAuth: LoadVerifyAuth): Promise<Verified> {
  if (env.error) return { data: null, error: { message: env.error.message, status: 500 } };
  const token = bearerToken(request.headers.get("authorization"));
  const apikey = request.headers.get("apikey");
  for (const mode of modes) {
    if (mode === "user") {
      if (!token || token.startsWith("sb_") || !env.data.jwks) continue;
      let verifyAuth: VerifyAuth;
      try {
        verifyAuth = await loadVerifyAuth();
      } catch (error) {
        return { data: null, error: { message: `@supabase/server could not be loaded: ${error instanceof Error ? error.message : String(error)}`, status: 500 } };
      }
      return verifyAuth(request, { auth: ["user"], env: env.data });
    }
    if (!apikey) continue;
    const authMode = mode === "publishable:*" ? "publishable" : "secret";
    const keyName = await matchingKeyName(apikey, authMode === "publishable" ? env.data.publishableKeys : env.data.secretKeys);
    if (keyName !== null) return { data: { authMode, keyName, userClaims: null, jwtClaims: null }, error: null };
  }
  return { data: null, error: { message: "Invalid credentials", status: 401, code: "INVALID_CREDENTIALS" } };
}

export function createAuthenticator(checkCredentials: CheckCredentials, options: AuthenticatorOptions = {}): Authenticator {
  const now = options.now ?? Date.now;
  // One memo per set of modes (readers, writers), as the modes decide the answer too. It holds
  // the whole answer (frozen), so a remembered caller costs no allocation.
  const entries = options.memoEntries ?? DEFAULT_MEMO_ENTRIES;
  const memos = { readers: new CredentialMemo<ApiResult<Caller>>(entries, now), writers: new CredentialMemo<ApiResult<Caller>>(entries, now) };
  type Memo = (typeof memos)["readers"];
  const verify = async (request: Request, modes: readonly Mode[], memo: Memo, key: string | null): Promise<ApiResult<Caller>> => {
    const { data, error } = await checkCredentials(request, modes);
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
    // The answer depends on exactly these two headers (and the modes).
    const authorization = request.headers.get("authorization");
    const apikey = request.headers.get("apikey");
    const key = credentialKey(authorization, apikey);
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
