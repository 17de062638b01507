// A fresh database for one test file, dropped when the file is done.
//
// Without TEST_DATABASE_URL: an embedded PGlite served over the wire protocol (in memory), so the
// suite needs nothing but Node. With TEST_DATABASE_URL (a server URL whose user may create
// databases): a new database on that server, dropped afterwards.
import { randomBytes } from "node:crypto";
import { connect, type Sql } from "../../scripts/shared/database.ts";
import { startEmbeddedPostgres } from "../../scripts/local/embedded-postgres.ts";
import { bootstrapPlatform, type GrantRegime } from "../../scripts/shared/platform-bootstrap.ts";

export interface TestDatabase {
  /** URL for the Supabase CLI and other clients. */
  url: string;
  /** One connection, owner of everything (the role migrations run as). */
  sql: Sql;
  kind: "embedded" | "server";
  drop(): Promise<void>;
}

export const usingServer = Boolean(process.env.TEST_DATABASE_URL);

/** The server URL pointed at another database on the same server. */
export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  if (!url.searchParams.has("sslmode") && ["127.0.0.1", "localhost", "::1"].includes(url.hostname)) {
    url.searchParams.set("sslmode", "disable");
  }
  return url.toString();
}

export async function createTestDatabase(options: { regime?: GrantRegime; bootstrap?: boolean } = {}): Promise<TestDatabase> {
  const database = await createEmptyDatabase();
  if (options.bootstrap !== false) await bootstrapPlatform(database.sql, options.regime ?? "explicit");
  return database;
}

async function createEmptyDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres();
    const sql = connect(embedded.url);
    return {
      url: embedded.url,
      sql,
      kind: "embedded",
      async drop() {
        await sql.end({ timeout: 5 });
        await embedded.stop();
      },
    };
  }
  const name = `rrk_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = connect(withDatabase(serverUrl, new URL(serverUrl).pathname.slice(1) || "postgres"));
  await admin.unsafe(`create database ${name}`);
  const url = withDatabase(serverUrl, name);
  const sql = connect(url);
  return {
    url,
    sql,
    kind: "server",
    async drop() {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}
