// The shape of an ops command, its options and its --help text, and the errors commands throw.
import type { FreshConnection } from "../../functions/_shared/truthful-transaction.ts";
import type { Sql } from "../shared/database.ts";
import { parseDuration } from "./duration.ts";
import type { OpsSettings } from "./settings.ts";
import type { Reporter } from "./reporter.ts";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** The value's placeholder in --help, e.g. "<duration>". */
  value?: string;
  description: string;
}

export interface OpsContext {
  settings: OpsSettings;
  out: Reporter;
  /** One connection to the target, opened on first use (PGlite is one session: never two). */
  sql(): Sql;
  /** A new connection, used only to settle a write whose COMMIT got no answer. */
  freshConnection(): FreshConnection;
  /** The folder holding supabase/ (the CLI runs there). */
  projectDir: string;
  migrationsDir: string;
  /** Asks the operator to type `expected`; false when there is no terminal to ask. */
  confirm(question: string, expected: string): Promise<boolean>;
  now(): Date;
}

export type ParsedOptions = Record<string, string | boolean | string[] | undefined>;

export interface OpsCommand {
  name: string;
  summary: string;
  /** Arguments after the command name, e.g. "<version>". */
  args?: string;
  /** Longer help: what it does, step by step, and when it refuses. */
  description: string;
  options: Record<string, OptionSpec>;
  examples: string[];
  run(ctx: OpsContext, positionals: string[], options: ParsedOptions): Promise<void>;
}

/** The command declined to act because something is unsafe; exit 1 with the reason. */
export class OpsRefusal extends Error {}
/** The command line is wrong; exit 2 with the command's usage. */
export class UsageError extends Error {}

/** Options every command takes. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  env: { type: "string", value: "<local|staging|production|file>", description: "dotenv file with DATABASE_URL: .env, .env.staging, .env.production, or a path" },
  actor: { type: "string", value: "<name>", description: "who is running this (default: OPS_ACTOR, else your user name); recorded in the flag audit log" },
  "backup-dir": { type: "string", value: "<dir>", description: "backups folder (default ./backups, or OPS_BACKUP_DIR)" },
  project: { type: "string", value: "<dir>", description: "project folder whose supabase/ migrations, rollback and verify scripts are used (default: the current folder if it has supabase/, else the kit's own)" },
  help: { type: "boolean", short: "h", description: "show this help" },
};

export function commandHelp(command: OpsCommand): string {
  const options = { ...command.options, ...GLOBAL_OPTIONS };
  const optionLines = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.value ? ` ${spec.value}` : ""}`;
    return `  ${flag.padEnd(38)} ${spec.description}`;
  });
  return [
    `npm run ops -- ${command.name}${command.args ? ` ${command.args}` : ""} [options]`,
    "",
    command.summary,
    "",
    command.description.replace(/^\n+/, "").trimEnd(),
    "",
    "Options:",
    ...optionLines,
    "",
    "Examples:",
    ...command.examples.map((example) => `  ${example}`),
  ].join("\n");
}

export function optionString(options: ParsedOptions, name: string): string | undefined {
  const value = options[name];
  return typeof value === "string" ? value : undefined;
}

export function optionNumber(options: ParsedOptions, name: string, fallback: number): number {
  const text = optionString(options, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new UsageError(`--${name} must be a non-negative number, got ${JSON.stringify(text)}`);
  return value;
}

export function optionDuration(options: ParsedOptions, name: string, fallback: string): number {
  try {
    return parseDuration(optionString(options, name) ?? fallback);
  } catch (error) {
    throw new UsageError(`--${name}: ${(error as Error).message}`);
  }
}
