// The authentication environment, read once per isolate the way @supabase/server's resolveEnv
// reads it (same variables, same precedence, same answer to malformed values), without loading
// @supabase/server: that package loads all of supabase-js and jose, most of a cold start, and a
// request with a publishable or secret key needs none of it (auth.ts). The result is also what
// auth.ts hands to @supabase/server's verifyAuth for a user JWT, so keys and JWKS come from this
// one reading. tests/unit/flags-function/auth-agreement.test.ts compares it with resolveEnv.
//
//   SUPABASE_URL                         required; without it every request is not_configured
//   SUPABASE_PUBLISHABLE_KEYS (JSON)     else SUPABASE_PUBLISHABLE_KEY as { default: <value> }
//   SUPABASE_SECRET_KEYS (JSON)          else SUPABASE_SECRET_KEY as { default: <value> }
//   SUPABASE_JWKS (JSON)                 else SUPABASE_JWKS_URL (https, or http on loopback)

/** Named keys, as @supabase/server holds them: whatever the JSON object's values are. */
export type KeySet = Record<string, unknown>;

/** @supabase/server's SupabaseEnv, the shape verifyAuth takes as `env`. */
export interface AuthEnv {
  url: string;
  publishableKeys: KeySet;
  secretKeys: KeySet;
  /** An inline JWKS, the URL of one, or null when user JWTs cannot be verified. */
  jwks: { keys: unknown[] } | URL | null;
}

export type AuthEnvResult = { data: AuthEnv; error: null } | { data: null; error: { message: string } };

export type ReadEnv = (name: string) => string | undefined;

export function resolveAuthEnv(read: ReadEnv): AuthEnvResult {
  const url = read("SUPABASE_URL");
  if (!url) return { data: null, error: { message: "SUPABASE_URL is required but not set" } };
  return {
    data: {
      url,
      publishableKeys: resolveKeys(read, "SUPABASE_PUBLISHABLE_KEY", "SUPABASE_PUBLISHABLE_KEYS"),
      secretKeys: resolveKeys(read, "SUPABASE_SECRET_KEY", "SUPABASE_SECRET_KEYS"),
      jwks: resolveJwks(read),
    },
    error: null,
  };
}

/** The plural variable wins when set (even if malformed: then no keys); else the singular one. */
function resolveKeys(read: ReadEnv, singular: string, plural: string): KeySet {
  const pluralValue = read(plural);
  if (pluralValue) return parseKeys(pluralValue);
  const singularValue = read(singular);
  return singularValue ? { default: singularValue } : {};
}

function parseKeys(raw: string): KeySet {
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as KeySet) : {};
  } catch {
    return {};
  }
}

/** SUPABASE_JWKS, when set, decides alone (malformed: null); else SUPABASE_JWKS_URL. */
function resolveJwks(read: ReadEnv): AuthEnv["jwks"] {
  const inline = read("SUPABASE_JWKS");
  if (inline && inline.trim()) return parseJwks(inline);
  const url = read("SUPABASE_JWKS_URL");
  if (url && url.trim()) return parseJwksUrl(url);
  return null;
}

function parseJwks(raw: string): { keys: unknown[] } | null {
  try {
    const parsed = JSON.parse(raw) as { keys?: unknown } | null;
    if (Array.isArray(parsed)) return { keys: parsed };
    if (parsed?.keys && Array.isArray(parsed.keys)) return parsed as { keys: unknown[] };
    return null;
  } catch {
    return null;
  }
}

/** https always; plain http only on a loopback host, where no one can swap the keys in transit. */
function parseJwksUrl(raw: string): URL | null {
  try {
    const url = new URL(raw.trim());
    if (url.protocol === "https:") return url;
    if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return url;
    return null;
  } catch {
    return null;
  }
}

function isLoopbackHost(hostname: string): boolean {
  if (hostname === "localhost" || hostname.endsWith(".localhost")) return true;
  if (hostname === "[::1]") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
