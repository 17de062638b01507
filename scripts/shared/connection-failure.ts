// One clear line for "the database would not let us in" (a wrong password, a missing database, a
// server that is not there), whether postgres.js or the Supabase CLI met it: the CLI prints it as
// a JSON error object (`--output-format json`) or inside several lines of its own output.
// Pure: no I/O.

/** The database refused or could not be reached: the run never touched it. */
export class DatabaseConnectError extends Error {
  override name = "DatabaseConnectError";
}

/** postgres.js / Node codes and SQLSTATEs of a failed connection (28: authorization, 3D000: no such database). */
const CONNECT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "CONNECT_TIMEOUT", "3D000", "53300", "57P03"]);

const HINTS: Array<[RegExp, string]> = [
  [/^28/, "check the user and password in DATABASE_URL"],
  [/^3D000$/, "check the database name in DATABASE_URL"],
  [/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|CONNECT_TIMEOUT)$/, "check the host and port in DATABASE_URL, and that the server is up"],
];

function sentence(reason: string, code: string | undefined): string {
  const hint = code ? HINTS.find(([pattern]) => pattern.test(code))?.[1] : undefined;
  const withCode = code && !reason.includes(code) ? `${reason} (${code})` : reason;
  return `cannot connect to the database: ${withCode}${hint ? `; ${hint}` : ""}`;
}

/** The one-line message for a postgres.js connection error, or null when it is something else. */
export function connectFailureOf(error: unknown): string | null {
  if (error instanceof DatabaseConnectError) return error.message;
  if (typeof error !== "object" || error === null) return null;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== "string" || typeof message !== "string") return null;
  if (!code.startsWith("28") && !CONNECT_CODES.has(code)) return null;
  return sentence(message.split("\n")[0]!, code);
}

/** The one-line message when the CLI's output says it could not connect, else null. */
export function cliConnectFailure(output: string): string | null {
  let text = output;
  const start = output.indexOf("{");
  if (start >= 0) {
    try {
      const parsed = JSON.parse(output.slice(start, output.lastIndexOf("}") + 1)) as { error?: { code?: string; message?: string } };
      if (parsed.error?.code === "DbConnectError" && parsed.error.message) text = parsed.error.message;
    } catch {
      // Not JSON: the plain lines below.
    }
  }
  const line = text.split("\n").find((l) => /failed to connect to/.test(l));
  if (!line) return null;
  // "... server error (FATAL: password authentication failed for user "postgres" (SQLSTATE 28P01))"
  const server = /FATAL: (.*?) \(SQLSTATE (\w{5})\)/.exec(line);
  if (server) return sentence(server[1]!, server[2]);
  // "... failed to connect to `host=... user=... database=...`: dial error (...)"
  const last = line.slice(line.lastIndexOf("`: ") >= 0 ? line.lastIndexOf("`: ") + 3 : 0).trim();
  const code = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b/.exec(last)?.[1];
  return sentence(last.replace(/^failed to connect to postgres: /, ""), code);
}
