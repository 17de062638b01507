// Which database errors are worth retrying, and how long to wait before the next try. Pure: no
// I/O, no clock; the caller passes its random source.
//
// Transient: the connection went away (closed, reset, refused, timed out: postgres.js and Node
// codes), the server is shutting down or starting (57P01 admin_shutdown, 57P02, 57P03), the
// connection failed (class 08), too many connections (53300), and conflicts that a retry of the
// same transaction resolves (40001 serialization failure, 40P01 deadlock). Anything else (a bug,
// a missing function, a refused permission) is not retried.

const TRANSIENT_CLIENT_CODES = new Set([
  // Not CONNECTION_ENDED / CONNECTION_DESTROYED: the app itself ended its client (sql.end()).
  "CONNECTION_CLOSED", "CONNECT_TIMEOUT",
  "ECONNRESET", "ECONNREFUSED", "ECONNABORTED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN",
]);
const TRANSIENT_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300", "40001", "40P01"]);

export function isTransientError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") return false;
  return TRANSIENT_CLIENT_CODES.has(code) || TRANSIENT_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code);
}

export interface BackoffPolicy {
  /** First delay's upper bound. */
  baseMs: number;
  /** No delay is longer than this. */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 100, capMs: 10_000 };

/** "Full jitter": a uniform delay in [0, min(cap, base * 2^retry)), retry counted from 0. */
export function backoffDelayMs(retry: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(retry, 30));
  return Math.floor(random() * ceiling);
}
