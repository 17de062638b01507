// Who is calling, checked with @supabase/server's verifyAuth (passed in by index.ts, so this
// file has no npm: import and runs in Node tests as well).
//
//   reads  (lookups, OFREP, health): a user JWT, a publishable key or a secret key
//   writes (PATCH):                  a secret key only
// Keys come from SUPABASE_PUBLISHABLE_KEYS / SUPABASE_SECRET_KEYS (any named key is accepted,
// so keys can be rotated), JWTs are checked against SUPABASE_JWKS / SUPABASE_JWKS_URL.

import { fail, ok, type Result } from "./errors.ts";

/** The part of @supabase/server's AuthResult this function uses. */
export interface VerifiedAuth {
  authMode: "none" | "publishable" | "secret" | "user";
  keyName?: string | null;
  userClaims?: { id: string } | null;
}

/** The shape of @supabase/server/core's verifyAuth. */
export type VerifyAuth = (
  request: Request,
  options: { auth: Array<"user" | `publishable:${string}` | `secret:${string}`>; env?: Record<string, unknown> },
) => Promise<{ data: VerifiedAuth; error: null } | { data: null; error: { message: string; status: number; code?: string } }>;

export interface Caller {
  mode: "user" | "publishable" | "secret";
  /** Names the caller in the audit trail: `user:<id>` or `<mode> key "<name>"`. */
  actor: string;
}

const READERS = ["user", "publishable:*", "secret:*"] as const;
const WRITERS = ["secret:*"] as const;

export interface Authenticator {
  reader(request: Request): Promise<Result<Caller>>;
  writer(request: Request): Promise<Result<Caller>>;
}

/** authEnv: @supabase/server env overrides (tests); empty to read the runtime environment. */
export function createAuthenticator(verifyAuth: VerifyAuth, authEnv: Record<string, unknown> = {}): Authenticator {
  const check = async (request: Request, modes: readonly ("user" | `publishable:${string}` | `secret:${string}`)[]): Promise<Result<Caller>> => {
    const { data, error } = await verifyAuth(request, { auth: [...modes], env: authEnv });
    if (error) {
      if (error.status >= 500) return fail("not_configured", `authentication is not configured: ${error.message}`);
      return fail("unauthorized", "send a publishable key, a secret key (apikey header) or a user JWT (Authorization: Bearer)");
    }
    if (data.authMode === "none") return fail("unauthorized", "credentials are required");
    const actor = data.authMode === "user" ? `user:${data.userClaims?.id ?? "unknown"}` : `${data.authMode} key "${data.keyName ?? "default"}"`;
    return ok({ mode: data.authMode, actor });
  };
  return {
    reader: (request) => check(request, READERS),
    async writer(request) {
      const writer = await check(request, WRITERS);
      if (writer.data || writer.error.code === "not_configured") return writer;
      // Tell "valid but not allowed to write" (403) from "not a valid credential" (401).
      const reader = await check(request, READERS);
      if (reader.error) return reader;
      return fail("secret_key_required", `changing a flag needs a secret key; this request has a ${reader.data.mode === "user" ? "user JWT" : "publishable key"}`);
    },
  };
}
