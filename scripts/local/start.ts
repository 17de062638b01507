// npm start: the feature-flags function on this machine, the way a Supabase project serves it.
//
//   1. a database: DATABASE_URL if given, else an embedded Postgres (PGlite) kept in .data/
//   2. Supabase's platform roles (skipped on a real Supabase database)
//   3. the migrations, pushed with the real Supabase CLI (supabase db push)
//   4. the function, served by the real Deno at http://127.0.0.1:54321/functions/v1/feature-flags
// Loopback only. Ctrl-C stops Deno and the database. Settings (environment or a .env file):
//   DATABASE_URL, PORT (54321), FEATURE_FLAGS_DATA_DIR (.data), FEATURE_FLAG_<KEY>=true|false|<n>,
//   FEATURE_FLAGS_CACHE_TTL_MS, FEATURE_FLAGS_STALE_LIMIT_MS, FEATURE_FLAGS_DB_TIMEOUT_MS.
import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { config as loadDotenv } from "dotenv";
import { connect, redactUrl } from "../shared/database.ts";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres.ts";
import { startFunctionServer, type FunctionServer } from "./function-server.ts";
import { authEnvironment, loadOrCreateLocalKeys, signUserJwt } from "./local-keys.ts";
import { bootstrapPlatform } from "../shared/platform-bootstrap.ts";
import { PROJECT_ROOT } from "../shared/project-paths.ts";
import { dbPush } from "../shared/supabase-cli.ts";

const envFile = path.join(PROJECT_ROOT, ".env");
if (existsSync(envFile)) loadDotenv({ path: envFile, quiet: true });

const port = Number(process.env.PORT ?? 54321);
const dataDir = path.resolve(PROJECT_ROOT, process.env.FEATURE_FLAGS_DATA_DIR ?? ".data");
const step = (message: string) => console.log(`\n▸ ${message}`);
/** A path as a newcomer reads it: relative to the project when inside it. */
const shown = (file: string) => (file.startsWith(`${PROJECT_ROOT}${path.sep}`) ? path.relative(PROJECT_ROOT, file) : file);

/** The function's own settings passed through from this environment (overrides, cache). */
function functionSettings(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name, value]) => value !== undefined && /^FEATURE_FLAGS?_/.test(name) && name !== "FEATURE_FLAGS_DATA_DIR"),
  ) as Record<string, string>;
}

let embedded: EmbeddedPostgres | null = null;
let server: FunctionServer | null = null;
let stopping = false;

/** Stops the children once; later calls (a second Ctrl-C, the relayed signal) wait for the first. */
async function stopAll(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log("\n▸ Stopping: Deno function server, then the database.");
  await server?.stop();
  await embedded?.stop();
  console.log("  Stopped.");
  process.exit(exitCode);
}

async function main(): Promise<void> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`PORT must be a port number, got ${process.env.PORT}`);
  console.log("Supabase reliability rollout kit: local feature-flags function");

  let databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    step(`Database: DATABASE_URL (${redactUrl(databaseUrl)})`);
  } else {
    const folder = path.join(dataDir, "pglite");
    step(`Database: embedded Postgres (PGlite), kept in ${shown(folder)}/ (delete it to start over)`);
    mkdirSync(folder, { recursive: true });
    embedded = await startEmbeddedPostgres({ dataDir: folder });
    databaseUrl = embedded.url;
    console.log(`  listening on 127.0.0.1:${embedded.port}: ${redactUrl(databaseUrl)}`);
  }

  step("Platform roles (anon, authenticated, service_role): created if missing, untouched on Supabase");
  const sql = connect(databaseUrl);
  try {
    await bootstrapPlatform(sql);
  } finally {
    // PGlite is one session: leave it to the function.
    await sql.end({ timeout: 5 });
  }

  step("Migrations: supabase db push (the real Supabase CLI)");
  const push = await dbPush(databaseUrl);
  const lines = push.output.split("\n").map((line) => line.trim());
  const pushed = [...lines.filter((line) => /^Applying migration|up to date/i.test(line)), ...lines.filter((line) => /^Finished/.test(line))];
  for (const line of pushed) console.log(`  ${line}`);
  if (push.exitCode !== 0) throw new Error(`supabase db push failed:\n${push.output}`);

  const keys = loadOrCreateLocalKeys(path.join(dataDir, "local-keys.json"));
  const projectUrl = `http://127.0.0.1:${port}`;
  // Otherwise the readiness check could be answered by whatever holds the port, and "Ready" be
  // printed for a server that then dies with AddrInUse.
  await assertPortFree(port);
  step(`Function: deno serve on ${projectUrl} (first run may take a moment while Deno loads its modules)`);
  server = await startFunctionServer({
    port,
    env: { SUPABASE_DB_URL: databaseUrl, ...authEnvironment(keys, projectUrl), ...functionSettings() },
    echo: true,
  });
  server.child.once("exit", (code, signal) => {
    // Ctrl-C in a terminal reaches Deno too; only an exit of its own is a failure.
    if (signal === "SIGINT" || signal === "SIGTERM") void stopAll(0);
    else if (!stopping) {
      console.error(`\nThe Deno function server exited (${code}); stopping.`);
      void stopAll(1);
    }
  });

  const fn = server.functionUrl;
  const userJwt = signUserJwt(keys, { sub: "00000000-0000-4000-8000-000000000001", email: "local@example.com", expiresInSeconds: 7 * 86_400 });
  console.log(`
Ready. Serving http://127.0.0.1:${port}/functions/v1/feature-flags

  Project URL (SUPABASE_URL)      ${projectUrl}
  Publishable key (apps, reads)   ${keys.publishableKey}
  Secret key (servers, PATCH)     ${keys.secretKey}
  A user JWT (7 days, reads)      ${userJwt}
  Keys are kept in ${shown(path.join(dataDir, "local-keys.json"))} (git-ignored); they are for this machine only.

Try it:
  curl -s '${fn}?subject=tenant-42' -H 'apikey: ${keys.publishableKey}'
  curl -s '${fn}/DLQ_ENABLED?subject=tenant-42' -H 'apikey: ${keys.publishableKey}'
  curl -s -X PATCH '${fn}/DLQ_ENABLED' -H 'apikey: ${keys.secretKey}' \\
       -H 'content-type: application/json' -d '{"enabled": true, "rollout_percentage": 5}'
  curl -s '${fn}/health' -H 'apikey: ${keys.publishableKey}'

From app code:  SUPABASE_URL=${projectUrl} SUPABASE_PUBLISHABLE_KEY=${keys.publishableKey} npx tsx examples/supabase-js.ts

Press Ctrl-C to stop.`);
}

/** Rejects with code EADDRINUSE when another process listens on 127.0.0.1:port. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve()));
  });
}

// `on`, not `once`: a second Ctrl-C must not fall through to the default handler mid-shutdown.
process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));
main().catch(async (error) => {
  console.error(`\nnpm start failed: ${error instanceof Error ? error.message : String(error)}`);
  if (error instanceof Error && "code" in error && error.code === "EADDRINUSE") console.error(`Port ${port} is in use: set PORT to another one.`);
  await stopAll(1);
});
