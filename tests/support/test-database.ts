// A fresh database for one test file, dropped when the file is done.
//
// Without TEST_DATABASE_URL: an embedded PGlite served over the wire protocol (in memory), so the
// suite needs nothing but Node. With TEST_DATABASE_URL (a server URL whose user may create
// databases): a new database on that server, dropped afterwards.
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Sql } from "../../scripts/shared/database.ts";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../scripts/local/embedded-postgres.ts";
import { bootstrapPlatform, type GrantRegime } from "../../scripts/shared/platform-bootstrap.ts";
import { dbPush } from "../../scripts/shared/supabase-cli.ts";

export interface TestDatabase {
  /** URL for the Supabase CLI and other clients. */
  url: string;
  /** One connection, owner of everything (the role migrations run as). */
  sql: Sql;
  kind: "embedded" | "server";
  drop(): Promise<void>;
}

/**
 * A database to copy from: on PGlite a dump of its data directory (a file), on a server a
 * database that `create database ... template` copies (nobody may be connected to it).
 */
export type DatabaseTemplate = { kind: "embedded"; dumpFile: string } | { kind: "server"; database: string };

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
  if (options.bootstrap !== false) {
    try {
      await bootstrapPlatform(database.sql, options.regime ?? "explicit");
    } catch (error) {
      await database.drop();
      throw error;
    }
  }
  return database;
}

/** A fresh database (platform bootstrapped) and `supabase db push` of this repository's migrations. */
export async function pushNewDatabase(options: { regime?: GrantRegime } = {}): Promise<TestDatabase> {
  const db = await createTestDatabase(options);
  try {
    const push = await dbPush(db.url);
    if (push.exitCode !== 0) throw new Error(`supabase db push failed:\n${push.output}`);
    return db;
  } catch (error) {
    await db.drop();
    throw error;
  }
}

/** A new database holding a copy of the template's. */
export async function copyTestDatabase(template: DatabaseTemplate): Promise<TestDatabase> {
  if (template.kind === "embedded") {
    return embeddedDatabase(await startEmbeddedPostgres({ loadDataDir: new Blob([readFileSync(template.dumpFile)]) }));
  }
  return serverDatabase(`template ${template.database}`);
}

/**
 * Makes `db` a template for copyTestDatabase and closes its connection; on PGlite its data
 * directory is written to `dumpFile`. The caller drops it (dropTemplate) when no copy is needed.
 */
export async function toTemplate(db: TestDatabase & { dumpDataDir?: () => Promise<Blob> }, dumpFile: string): Promise<DatabaseTemplate> {
  if (db.kind === "embedded") {
    writeFileSync(dumpFile, Buffer.from(await (await db.dumpDataDir!()).arrayBuffer()));
    await db.drop();
    return { kind: "embedded", dumpFile };
  }
  await db.sql.end({ timeout: 5 });
  return { kind: "server", database: new URL(db.url).pathname.slice(1) };
}

export async function dropTemplate(template: DatabaseTemplate): Promise<void> {
  if (template.kind === "embedded") {
    rmSync(template.dumpFile, { force: true });
    return;
  }
  await asAdmin((admin) => admin.unsafe(`drop database if exists ${template.database} with (force)`));
}

async function createEmptyDatabase(): Promise<TestDatabase & { dumpDataDir?: () => Promise<Blob> }> {
  return usingServer ? serverDatabase() : embeddedDatabase(await startEmbeddedPostgres());
}

function embeddedDatabase(embedded: EmbeddedPostgres): TestDatabase & { dumpDataDir: () => Promise<Blob> } {
  const sql = connect(embedded.url);
  return {
    url: embedded.url,
    sql,
    kind: "embedded",
    dumpDataDir: embedded.dumpDataDir,
    async drop() {
      await sql.end({ timeout: 5 });
      await embedded.stop();
    },
  };
}

/** A new database on the TEST_DATABASE_URL server; `clause` completes its CREATE DATABASE. */
async function serverDatabase(clause = ""): Promise<TestDatabase> {
  const name = `rrk_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  await asAdmin((admin) => admin.unsafe(`create database ${name} ${clause}`));
  const url = withDatabase(process.env.TEST_DATABASE_URL!, name);
  const sql = connect(url);
  return {
    url,
    sql,
    kind: "server",
    async drop() {
      await sql.end({ timeout: 5 });
      await asAdmin((admin) => admin.unsafe(`drop database if exists ${name} with (force)`));
    },
  };
}

/** One statement on the server's own database (creating and dropping the test databases). */
async function asAdmin(statement: (admin: Sql) => Promise<unknown>): Promise<void> {
  const serverUrl = process.env.TEST_DATABASE_URL!;
  const admin = connect(withDatabase(serverUrl, new URL(serverUrl).pathname.slice(1) || "postgres"));
  try {
    await statement(admin);
  } finally {
    await admin.end({ timeout: 5 });
  }
}
