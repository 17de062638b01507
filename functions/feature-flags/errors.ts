// Every error the function answers with: a named code, its HTTP status, and one table of them.
// The core returns { data, error } with a code; only the edge (handler.ts) turns codes into a
// status and a JSON body `{ "error": { "code": "...", "message": "..." } }`.
//
// OFREP routes answer in the protocol's own error shape instead: ofrep.ts has its codes, their
// status and its bodies.

import { failure, type Result } from "../_shared/result.ts";

export { ok } from "../_shared/result.ts";

export const ERROR_STATUS = {
  /** No credentials, or credentials that match no key or JWT. */
  unauthorized: 401,
  /** Valid credentials that may not do this (a publishable key or user JWT on a write). */
  secret_key_required: 403,
  /** subject missing, empty or longer than 256 UTF-8 bytes. */
  invalid_subject: 400,
  /** A flag key that is not upper snake case (A-Z, 0-9, _), up to 64 characters. */
  invalid_flag_key: 400,
  /** A PATCH body that is not a JSON object with enabled and/or rollout_percentage. */
  invalid_body: 400,
  /** The flag key is not in the table (nor set by an override). */
  flag_not_found: 404,
  /** No route under /feature-flags matches the path. */
  route_not_found: 404,
  method_not_allowed: 405,
  /** The flag was not changed, and the change will not apply later (database unreachable or failed). */
  database_unavailable: 503,
  /**
   * A PATCH whose COMMIT got no answer and whose fate the database could not be asked about; the
   * body's `flag` is the row read back on a new connection (null when it could not be read).
   */
  outcome_unknown: 503,
  /** @supabase/server cannot read its environment (for example SUPABASE_URL is not set). */
  not_configured: 503,
  /** A bug. Lookups are built never to reach it; tests/integration/flags-function/http.test.ts fuzzes for it. */
  internal_error: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ApiError {
  code: ErrorCode;
  message: string;
}

/** What the function's core answers: data, or an error with a code the edge turns into a status. */
export type ApiResult<T> = Result<T, ApiError>;

export function fail(code: ErrorCode, message: string): { data: null; error: ApiError } {
  return failure({ code, message });
}
