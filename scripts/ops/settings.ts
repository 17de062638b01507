// Where the ops tool's settings come from, read in this one module: a test passes its own
// overrides, and a missing setting is one typed error, not an empty string found later.
//
// --env staging reads .env.staging (production: .env.production, local: .env; any other value is
// taken as a file path). A file named with --env wins over variables already exported in the
// shell, so that `--env production` can never quietly run against a staging URL left in the
// environment. Without --env: the environment, then .env for anything it does not set.
import { existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import path from "node:path";
import { parse } from "dotenv";
import { parseDuration } from "./duration.ts";

export class OpsConfigError extends Error {}

export interface OpsSettings {
  /** What --env named ("default" without one): printed, and used to suggest the next step. */
  envName: string;
  /** The dotenv file that was read, if any. */
  envFile?: string;
  databaseUrl: string;
  /** Who is running this: recorded as the actor of flag changes. */
  actor: string;
  backupDir: string;
  /** How long a committed write may wait for the database (OPS_WRITE_TIMEOUT, default 30s). */
  writeTimeoutMs: number;
  /** Other settings from the environment or file, for the commands that need one. */
  values: Record<string, string | undefined>;
}

const ENV_FILES: Record<string, string> = { local: ".env", staging: ".env.staging", production: ".env.production" };
/** DATABASE_URL, the name most tools read; SUPABASE_DB_URL as the edge function and the CLI docs name it. */
const URL_VARIABLES = ["DATABASE_URL", "SUPABASE_DB_URL"] as const;

export function envFileFor(envName: string, cwd: string): string {
  return path.resolve(cwd, ENV_FILES[envName] ?? envName);
}

export function resolveSettings(options: {
  envName?: string;
  actor?: string;
  backupDir?: string;
  processEnv: Record<string, string | undefined>;
  cwd: string;
}): OpsSettings {
  const { processEnv, cwd } = options;
  let values: Record<string, string | undefined>;
  let envFile: string | undefined;
  if (options.envName) {
    envFile = envFileFor(options.envName, cwd);
    if (!existsSync(envFile)) {
      throw new OpsConfigError(`--env ${options.envName}: ${envFile} does not exist (copy .env.example to it and fill it in)`);
    }
    values = { ...processEnv, ...parse(readFileSync(envFile)) };
  } else {
    const defaultFile = path.resolve(cwd, ".env");
    if (existsSync(defaultFile)) envFile = defaultFile;
    values = { ...(envFile ? parse(readFileSync(envFile)) : {}), ...processEnv };
  }
  const urlVariable = URL_VARIABLES.find((name) => values[name]);
  if (!urlVariable) {
    const where = envFile ? `${path.basename(envFile)} or the environment` : "the environment (or a .env file, see .env.example)";
    throw new OpsConfigError(`no database URL: set DATABASE_URL in ${where}`);
  }
  const databaseUrl = values[urlVariable]!;
  try {
    const url = new URL(databaseUrl);
    if (!["postgres:", "postgresql:"].includes(url.protocol)) throw new Error("not postgres");
  } catch {
    throw new OpsConfigError(`${urlVariable} is not a postgresql:// URL`);
  }
  return {
    envName: options.envName ?? "default",
    envFile,
    databaseUrl,
    actor: options.actor || values.OPS_ACTOR || safeUserName(),
    backupDir: path.resolve(cwd, options.backupDir || values.OPS_BACKUP_DIR || "backups"),
    writeTimeoutMs: writeTimeout(values.OPS_WRITE_TIMEOUT),
    values,
  };
}

function writeTimeout(text: string | undefined): number {
  try {
    const ms = parseDuration(text || "30s");
    if (ms < 1000) throw new Error("must be at least 1s");
    return ms;
  } catch (error) {
    throw new OpsConfigError(`OPS_WRITE_TIMEOUT: ${(error as Error).message}`);
  }
}

function safeUserName(): string {
  try {
    return userInfo().username || "unknown-operator";
  } catch {
    return "unknown-operator";
  }
}
