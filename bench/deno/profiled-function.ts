// The feature-flags function for `deno serve --cpu-prof` (bench/profile.ts): Deno writes the CPU
// profile only on a clean exit, and `deno serve` ends on SIGTERM without one, so this entry exits
// cleanly on SIGTERM and otherwise serves exactly what functions/feature-flags/index.ts serves.
import featureFlags from "../../functions/feature-flags/index.ts";

Deno.addSignalListener("SIGTERM", () => Deno.exit(0));

export default featureFlags;
