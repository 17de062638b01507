// Whether this checkout has the feature-flags function. Kept apart from flags-function.ts, which
// imports the function's own modules: groups load that one only when the function is here, so
// that the rest of the benchmark still runs on a checkout without it.
import { existsSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../../scripts/shared/project-paths.ts";

export const FUNCTION_ENTRY = path.join(PROJECT_ROOT, "functions", "feature-flags", "index.ts");

/** Why the function cannot be measured in this checkout, or undefined when it can. */
export function flagsFunctionMissing(): string | undefined {
  if (!existsSync(FUNCTION_ENTRY)) return "functions/feature-flags/index.ts is not in this checkout (issue 3 not merged into main yet)";
  return undefined;
}

/** The function's helpers for the benchmark, or the reason they cannot be loaded. */
export async function loadFlagsFunction(): Promise<typeof import("./flags-function.ts") | string> {
  const missing = flagsFunctionMissing();
  if (missing) return missing;
  return import("./flags-function.ts");
}
