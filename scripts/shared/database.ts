// Connections to Postgres with postgres.js, the same client the edge function uses.
import postgres from "postgres";

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;

export function connect(databaseUrl: string, options: { max?: number } = {}): Sql {
  return postgres(databaseUrl, {
    max: options.max ?? 1,
    // Works behind Supabase's transaction pooler (Supavisor), which cannot keep prepared statements.
    prepare: false,
    onnotice: () => {},
    connection: { application_name: "reliability-rollout-kit" },
  });
}

/** Runs a multi-statement SQL script (no parameters) as one simple query. */
export async function runScript(sql: Sql | TransactionSql, script: string): Promise<void> {
  await sql.unsafe(script).simple();
}

/** Hides the password in a URL for anything printed. */
export function redactUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = "****";
    return url.toString();
  } catch {
    return "<unparseable database URL>";
  }
}
