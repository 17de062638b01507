// pg_dump and pg_restore, run with the password in the environment (PGPASSWORD) rather than on the
// command line, where `ps` would show it. PG_BIN_DIR picks other binaries than those on PATH
// (e.g. /usr/lib/postgresql/17/bin when the server is newer than the default client).
import { execFile, spawn } from "node:child_process";
import path from "node:path";

export function pgToolPath(tool: "pg_dump" | "pg_restore", env: Record<string, string | undefined>): string {
  return env.PG_BIN_DIR ? path.join(env.PG_BIN_DIR, tool) : tool;
}

/** The tool's major version, e.g. 15 for "pg_dump (PostgreSQL) 15.20". */
export function pgToolVersion(toolPath: string): Promise<{ text: string; major: number }> {
  return new Promise((resolve, reject) => {
    execFile(toolPath, ["--version"], (error, stdout) => {
      if (error) return reject(new Error(`${toolPath} is not available (${error.message}); install the PostgreSQL client or set PG_BIN_DIR`));
      const match = /(\d+)(?:\.(\d+))?/.exec(stdout);
      if (!match) return reject(new Error(`could not read the version of ${toolPath}: ${stdout}`));
      resolve({ text: stdout.trim(), major: Number(match[1]) });
    });
  });
}

/** The URL without its password, and the environment that carries the password instead. */
export function toolConnection(databaseUrl: string): { url: string; env: Record<string, string> } {
  const url = new URL(databaseUrl);
  const password = decodeURIComponent(url.password);
  url.password = "";
  return { url: url.toString(), env: password ? { PGPASSWORD: password } : {} };
}

export interface ToolRun {
  exitCode: number;
  stderr: string;
}

/** Runs a tool to completion, keeping its stderr for the error message. */
export function runTool(toolPath: string, args: string[], env: Record<string, string>): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(toolPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ exitCode: code ?? 1, stderr }));
  });
}
