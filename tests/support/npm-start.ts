// `npm start` (scripts/local/start.ts) run as a newcomer runs it, for tests that need the whole local stack:
// its own process group (so a test can send Ctrl-C to it like a terminal), a free port, a data
// folder of the test's choosing. `stop` kills the group; call it from afterAll even after a failure.
import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "../../scripts/local/embedded-postgres.ts";
import { PROJECT_ROOT } from "../../scripts/shared/project-paths.ts";

export interface StartedStack {
  child: ChildProcess;
  output: () => string;
  port: number;
  /** SIGKILL to the whole group; harmless when it already exited. */
  stop: () => void;
}

export async function npmStart(dataDir: string, env: Record<string, string> = {}): Promise<StartedStack> {
  const port = await freePort();
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  // detached: its own process group, so the test can send SIGINT to the group like a terminal.
  // As `npm start` runs it: node with tsx's loader, no tsx CLI in between (its signal relay
  // SIGKILLs a child that takes over 60 ms to acknowledge Ctrl-C, which a loaded machine can).
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/local/start.ts"], {
    cwd: PROJECT_ROOT,
    env: { ...inherited, PORT: String(port), FEATURE_FLAGS_DATA_DIR: dataDir, NO_COLOR: "1", ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const stop = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  };
  const deadline = Date.now() + 110_000;
  while (!output.includes("Press Ctrl-C to stop.")) {
    if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      stop();
      throw new Error(`npm start was not ready in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { child, output: () => output, port, stop };
}
