// Serves the feature-flags function with the real Deno (npm package `deno`, pinned), behind the
// local /functions/v1 gateway (functions/_local/gateway.ts), on 127.0.0.1 only.
// Used by `npm start` and by the HTTP tests.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { acceptsConnections } from "../shared/accepts-connections.ts";
import { BIN_DIR, PROJECT_ROOT } from "../shared/project-paths.ts";

export const DENO_BIN = path.join(BIN_DIR, "deno");
export const FUNCTION_ENTRY = path.join(PROJECT_ROOT, "functions", "feature-flags", "index.ts");
/** The function's Deno configuration: the import map that pins its npm packages. */
export const FUNCTION_CONFIG = path.join(PROJECT_ROOT, "functions", "feature-flags", "deno.json");
export const GATEWAY_ENTRY = path.join(PROJECT_ROOT, "functions", "_local", "gateway.ts");
/**
 * The resolved versions of the function's npm packages (and theirs), for the kit's own runs of it.
 * Without a lockfile, Deno resolves every npm package the function may import (the dynamic
 * imports' too) at each start, reading and parsing the cached registry document of each package:
 * some 5 ms of the function's cold start, before any of its code runs. A deploy resolves them once,
 * when it bundles, so the file stays outside the function's folder and deploys do not read it.
 * Frozen: a run never rewrites it; docs/contributing.md says how to refresh it.
 */
export const FUNCTION_LOCK = path.join(PROJECT_ROOT, "scripts", "local", "function-deno.lock");
/** Deno's flags for the function's packages: its import map and the lockfile. */
export const FUNCTION_PACKAGE_FLAGS: readonly string[] = ["--config", FUNCTION_CONFIG, `--lock=${FUNCTION_LOCK}`, "--frozen"];

export interface FunctionServer {
  /** http://127.0.0.1:<port>: what supabase-js calls the project URL. */
  projectUrl: string;
  /** <projectUrl>/functions/v1/feature-flags */
  functionUrl: string;
  child: ChildProcess;
  /** Everything Deno printed so far (for test failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export interface FunctionServerOptions {
  port: number;
  /** The function's environment: SUPABASE_DB_URL, keys, FEATURE_FLAG_* ... */
  env: Record<string, string>;
  /** How long to wait for the first answer; the first run on a clean machine fills Deno's npm cache. */
  readyTimeoutMs?: number;
  /**
   * When the server counts as started: once it answers an HTTP request (default), or once its
   * port accepts a connection, so that it has served nothing yet (tests of a fresh instance).
   */
  readyWhen?: "answering" | "listening";
  /** Forward Deno's output to this process's stderr as it comes (npm start). */
  echo?: boolean;
  /**
   * Serve this function folder (an adopted project's supabase/functions/feature-flags, with its
   * deno.json) on its own instead of the kit's, at <projectUrl>/feature-flags.
   */
  functionDir?: string;
}

export function denoServeArgs(port: number, functionDir?: string): string[] {
  const readRoot = functionDir ? path.dirname(functionDir) : PROJECT_ROOT;
  return [
    "serve",
    "--quiet",
    "--host", "127.0.0.1",
    "--port", String(port),
    // Loopback only: the database and the listening socket. Reads only the project (its code and
    // node_modules); no file writes, no subprocesses.
    "--allow-net=127.0.0.1,localhost",
    "--allow-env",
    `--allow-read=${readRoot}`,
    ...(functionDir ? ["--config", path.join(functionDir, "deno.json"), path.join(functionDir, "index.ts")] : [...FUNCTION_PACKAGE_FLAGS, GATEWAY_ENTRY]),
  ];
}

export async function startFunctionServer(options: FunctionServerOptions): Promise<FunctionServer> {
  const child = spawn(DENO_BIN, denoServeArgs(options.port, options.functionDir), {
    cwd: options.functionDir ?? PROJECT_ROOT,
    // Only what Deno itself needs from this environment, plus the function's own.
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      ...(process.env.DENO_DIR ? { DENO_DIR: process.env.DENO_DIR } : {}),
      NO_COLOR: "1",
      DENO_NO_UPDATE_CHECK: "1",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (options.echo) process.stderr.write(chunk);
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const projectUrl = `http://127.0.0.1:${options.port}`;
  const server: FunctionServer = {
    projectUrl,
    functionUrl: options.functionDir ? `${projectUrl}/feature-flags` : `${projectUrl}/functions/v1/feature-flags`,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        // deno serve waits for the function's open database connection on SIGTERM; the function
        // holds nothing that needs flushing, so it is killed if it has not exited within a second.
        const timer = setTimeout(() => child.kill("SIGKILL"), 1_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  // Any HTTP answer (401 without a key) means the function is loaded and listening.
  const ready = () =>
    options.readyWhen === "listening"
      ? acceptsConnections("127.0.0.1", options.port)
      : fetch(`${server.functionUrl}/health`, { signal: AbortSignal.timeout(2_000) }).then(() => true, () => false);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`deno serve exited with ${child.exitCode}:\n${output}`);
    if (await ready()) return server;
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`deno serve did not answer on ${projectUrl} in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
