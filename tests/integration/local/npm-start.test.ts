// `npm start` (scripts/local/start.ts) as a newcomer runs it: embedded Postgres kept in a data folder,
// platform roles, migrations pushed by the real CLI, the function served by the real Deno at
// /functions/v1/feature-flags; flags readable with the printed key; Ctrl-C (SIGINT to the
// process group, as a terminal sends it) stops every child; a second start reuses data and keys.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../../scripts/shared/project-paths.ts";
import { npmStart, type StartedStack } from "../../support/npm-start.ts";
import { createTestDatabase, usingServer, type TestDatabase } from "../../support/test-database.ts";

const dataDir = mkdtempSync(path.join(tmpdir(), "rrk-start-"));
const cleanups: Array<() => Promise<void> | void> = [() => rmSync(dataDir, { recursive: true, force: true })];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function startStack(env: Record<string, string> = {}): Promise<StartedStack> {
  const started = await npmStart(dataDir, env);
  cleanups.push(started.stop);
  return started;
}

async function ctrlC(started: StartedStack): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => started.child.once("exit", (code) => resolve(code)));
  process.kill(-started.child.pid!, "SIGINT");
  return exited;
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The curl line npm start printed, run with fetch. */
async function printedCurl(output: string): Promise<Response> {
  const match = /curl -s '([^']+\?subject=tenant-42)' -H 'apikey: ([^']+)'/.exec(output);
  expect(match, output).not.toBeNull();
  return fetch(match![1]!, { headers: { apikey: match![2]! } });
}

describe("npm start", () => {
  it("serves flags at /functions/v1/feature-flags with the printed key; Ctrl-C stops everything", async () => {
    const started = await startStack();
    const output = started.output();
    expect(output).toContain("supabase db push");
    expect(output).toContain("Applying migration 20261125100300_create_feature_flags.sql");
    expect(output).toContain(`Serving http://127.0.0.1:${started.port}/functions/v1/feature-flags`);
    const keys = JSON.parse(readFileSync(path.join(dataDir, "local-keys.json"), "utf8"));
    expect(output).toContain(keys.publishableKey);
    expect(keys.secretKey).toMatch(/^sb_secret_/);

    const response = await printedCurl(output);
    expect(response.status).toBe(200);
    expect((await response.json()).flags.DLQ_ENABLED).toMatchObject({ value: false, reason: "DISABLED" });
    const patch = await fetch(`http://127.0.0.1:${started.port}/functions/v1/feature-flags/DLQ_ENABLED`, {
      method: "PATCH",
      headers: { apikey: keys.secretKey, "content-type": "application/json" },
      body: JSON.stringify({ enabled: true, rollout_percentage: 100 }),
    });
    expect(patch.status).toBe(200);

    expect(await ctrlC(started)).toBe(0);
    expect(started.output()).toContain("Stopped.");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(groupAlive(started.child.pid!)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${started.port}/functions/v1/feature-flags/health`)).rejects.toThrow();
  });

  it("a second start reuses the data folder and the keys", async () => {
    const keysBefore = readFileSync(path.join(dataDir, "local-keys.json"), "utf8");
    const started = await startStack();
    expect(started.output()).toContain("up to date");
    expect(readFileSync(path.join(dataDir, "local-keys.json"), "utf8")).toBe(keysBefore);
    const response = await printedCurl(started.output());
    expect((await response.json()).flags.DLQ_ENABLED).toMatchObject({ value: true, reason: "STATIC" });
    expect(await ctrlC(started)).toBe(0);
  });

  it("refuses a port another process holds, without printing Ready", async () => {
    const holder = createServer();
    const port = await new Promise<number>((resolve) => holder.listen(0, "127.0.0.1", () => resolve((holder.address() as AddressInfo).port)));
    cleanups.push(() => new Promise<void>((resolve) => holder.close(() => resolve())));
    const { DATABASE_URL: _ignored, ...inherited } = process.env;
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/local/start.ts"], {
      cwd: PROJECT_ROOT,
      env: { ...inherited, PORT: String(port), FEATURE_FLAGS_DATA_DIR: dataDir, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.once("exit", (exitCode) => resolve(exitCode)));
    expect(code, output).toBe(1);
    expect(output).toContain(`Port ${port} is in use`);
    expect(output).not.toContain("Ready.");
  });

  // DATABASE_URL instead of the embedded database: needs a server to create a database on.
  it.skipIf(!usingServer)("uses DATABASE_URL when given", async () => {
    const db: TestDatabase = await createTestDatabase({ bootstrap: false });
    cleanups.push(() => db.drop());
    const started = await startStack({ DATABASE_URL: db.url });
    expect(started.output()).toContain("Database: DATABASE_URL");
    expect((await printedCurl(started.output())).status).toBe(200);
    expect(await ctrlC(started)).toBe(0);
  });
});
