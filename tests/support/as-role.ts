// Runs queries as one of Supabase's API roles with JWT claims, the way PostgREST does for a
// request: SET LOCAL ROLE plus request.jwt.claims, inside a transaction that is always rolled
// back, so nothing a test does as a role survives it.
import type { Sql, TransactionSql } from "../../scripts/shared/database.ts";

export type ApiRole = "anon" | "authenticated" | "service_role";

class RolledBack extends Error {}

export async function asRole<T>(
  sql: Sql,
  role: ApiRole,
  claims: Record<string, unknown>,
  body: (tx: TransactionSql) => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  await sql
    .begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ role, ...claims })}, true)`;
      await tx.unsafe(`set local role ${role}`);
      result = await body(tx);
      throw new RolledBack();
    })
    .catch((error) => {
      if (!(error instanceof RolledBack)) throw error;
    });
  return result as T;
}

/** The error a statement raises as that role, or null when it succeeds. */
export async function errorAsRole(
  sql: Sql,
  role: ApiRole,
  claims: Record<string, unknown>,
  body: (tx: TransactionSql) => Promise<unknown>,
): Promise<{ code: string; message: string } | null> {
  try {
    await asRole(sql, role, claims, body);
    return null;
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return { code, message };
  }
}

export const ADMIN_CLAIMS = { sub: "00000000-0000-4000-8000-00000000a001", app_metadata: { role: "admin" } };
export const USER_CLAIMS = { sub: "00000000-0000-4000-8000-00000000b002", app_metadata: {} };
/** A user who set role=admin in user_metadata, which users can edit themselves: must not count. */
export const SELF_PROMOTED_CLAIMS = { sub: "00000000-0000-4000-8000-00000000c003", user_metadata: { role: "admin" } };
