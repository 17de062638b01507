// The local PostgreSQL server the DB figures need. If it is down, the run starts it the way the
// project's CI does, and stops it again at the end (it leaves the machine as it found it).
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { SERVER_URL } from "./databases.ts";

let startedCluster: string | undefined;

function isReady(): boolean {
  const url = new URL(SERVER_URL);
  try {
    execFileSync("pg_isready", ["-q", "-h", url.hostname, "-p", url.port || "5432"]);
    return true;
  } catch {
    return false;
  }
}

export async function ensureServer(log: (message: string) => void): Promise<void> {
  if (isReady()) return;
  if (process.env.BENCH_DATABASE_URL) throw new Error(`BENCH_DATABASE_URL ${new URL(SERVER_URL).host} is not accepting connections`);
  const version = readdirSync("/etc/postgresql")[0];
  if (!version) throw new Error("no PostgreSQL server at 127.0.0.1:5432 and none installed in /etc/postgresql");
  log(`starting PostgreSQL ${version} (cluster main)`);
  execFileSync("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "start"], { stdio: "inherit" });
  startedCluster = version;
  for (let i = 0; i < 60 && !isReady(); i++) await new Promise((resolve) => setTimeout(resolve, 500));
  if (!isReady()) throw new Error("PostgreSQL did not become ready within 30 s");
}

export async function stopServerIfStarted(): Promise<void> {
  if (!startedCluster) return;
  execFileSync("pg_ctlcluster", ["--skip-systemctl-redirect", startedCluster, "main", "stop"], { stdio: "inherit" });
  startedCluster = undefined;
}
