// How the benchmark starts the feature-flags function and which lookups it measures.
import { existsSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../../scripts/lib/project-paths.ts";
import { startDenoServe, type DenoServer } from "./processes.ts";

export const FUNCTION_ENTRY = path.join(PROJECT_ROOT, "functions", "feature-flags", "index.ts");

export interface Lookup {
  id: string;
  label: string;
  /** single: one flag; bulk: every flag. The bare baseline answers a body of the same size. */
  shape: "single" | "bulk";
  pathOf: (i: number) => string;
  headers: Record<string, string>;
  /** Size of one answer, measured. */
  bodyBytes: number;
  /** Whether the targets (>= 0.7 x throughput, <= 2 x p99) apply. */
  targeted: boolean;
}

export interface FlagsFunction {
  server: DenoServer;
}

/** Why the function cannot be measured in this checkout, or undefined when it can. */
export function flagsFunctionMissing(): string | undefined {
  if (!existsSync(FUNCTION_ENTRY)) return "functions/feature-flags/index.ts is not in this checkout (issue 3 not merged into main yet)";
  return undefined;
}

export async function startFlagsFunction(databaseUrl: string): Promise<FlagsFunction> {
  const server = await startDenoServe(FUNCTION_ENTRY, { env: { SUPABASE_DB_URL: databaseUrl }, permissions: ["--allow-net", "--allow-env", "--allow-read"] });
  return { server };
}

export async function describeLookups(_fn: FlagsFunction): Promise<Lookup[]> {
  throw new Error("the benchmark does not know this function's keys and routes yet");
}
