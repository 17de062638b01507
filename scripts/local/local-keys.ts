// API keys and a JWT signing secret for running the function locally (`npm start`, tests).
//
// Generated on this machine, kept in the git-ignored .data/ folder by `npm start`, and handed to
// the function through the environment variables @supabase/server reads:
// SUPABASE_PUBLISHABLE_KEYS, SUPABASE_SECRET_KEYS (JSON maps of named keys) and SUPABASE_JWKS
// (a JSON Web Key Set; here one HS256 key, as a project with a legacy JWT secret has).
// They are local secrets only: never commit them, never use them for a hosted project.
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface LocalKeys {
  publishableKey: string;
  secretKey: string;
  /** base64url HS256 secret for signing user JWTs. */
  jwtSecret: string;
  jwtKeyId: string;
}

export function generateLocalKeys(): LocalKeys {
  return {
    publishableKey: `sb_publishable_${randomBytes(18).toString("base64url")}`,
    secretKey: `sb_secret_${randomBytes(24).toString("base64url")}`,
    jwtSecret: randomBytes(32).toString("base64url"),
    jwtKeyId: `local-${randomBytes(4).toString("hex")}`,
  };
}

/** Reads the keys kept in `file`, or creates and keeps new ones (readable by the owner only). */
export function loadOrCreateLocalKeys(file: string): LocalKeys {
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as LocalKeys;
  const keys = generateLocalKeys();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  return keys;
}

/** The environment @supabase/server reads to check callers. */
export function authEnvironment(keys: LocalKeys, supabaseUrl: string): Record<string, string> {
  return {
    SUPABASE_URL: supabaseUrl,
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.publishableKey }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys.secretKey }),
    SUPABASE_JWKS: JSON.stringify({ keys: [{ kty: "oct", k: keys.jwtSecret, alg: "HS256", kid: keys.jwtKeyId }] }),
  };
}

/** A user access token like Supabase Auth issues (HS256), for trying the user-JWT path locally. */
export function signUserJwt(keys: LocalKeys, claims: { sub: string; role?: string; email?: string; expiresInSeconds?: number }): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: "HS256", typ: "JWT", kid: keys.jwtKeyId };
  const payload = {
    sub: claims.sub,
    role: claims.role ?? "authenticated",
    aud: "authenticated",
    ...(claims.email ? { email: claims.email } : {}),
    iat: now,
    exp: now + (claims.expiresInSeconds ?? 3600),
  };
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString("base64url");
  const signingInput = `${encode(header)}.${encode(payload)}`;
  const signature = createHmac("sha256", Buffer.from(keys.jwtSecret, "base64url")).update(signingInput).digest("base64url");
  return `${signingInput}.${signature}`;
}
