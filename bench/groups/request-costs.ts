// Where a lookup's time goes inside the function: its own handler on one thread in Deno, no HTTP
// (bench/deno/request-costs.ts), with each kind of credential and with authentication stubbed.
// This explains the HTTP figures: whatever the handler costs per request comes on top of the bare
// Deno.serve baseline.
import path from "node:path";
import type { BenchGroup } from "../lib/context.ts";
import * as flagsFunction from "../lib/flags-function.ts";
import { DENO_BIN, FUNCTION_PACKAGE_FLAGS } from "../../scripts/local/function-server.ts";
import { BENCH_DIR, runToCompletion } from "../lib/processes.ts";

const LABELS: Array<{ name: string; label: string; baseline?: string }> = [
  { name: "evaluate", label: "evaluateFlag alone (pure-TS SHA-256)" },
  { name: "request-object", label: "new Request(url, headers) (harness cost, inside every handler row)" },
  { name: "handler.stub-auth", label: "handler, one flag, authentication stubbed" },
  { name: "handler.publishable", label: "handler, one flag, publishable key (checked by the function, remembered)", baseline: "handler.stub-auth" },
  { name: "handler.secret", label: "handler, one flag, secret key", baseline: "handler.stub-auth" },
  { name: "handler.user", label: "handler, one flag, user JWT (HS256)", baseline: "handler.stub-auth" },
];

export const requestCosts: BenchGroup = {
  title: "Where a lookup's time goes (in-process, Deno, one thread, no HTTP)",
  async run(context) {
    const stdout = await runToCompletion(DENO_BIN, ["run", "--quiet", ...FUNCTION_PACKAGE_FLAGS, "--allow-env", path.join(BENCH_DIR, "deno", "request-costs.ts"), String(context.settings.runs)], {
      env: flagsFunction.requestCostEnvironment(),
    });
    const costs = JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, number[]>;
    for (const { name, label, baseline } of LABELS) {
      const samples = costs[name];
      if (!samples) throw new Error(`request-costs.ts printed no ${name}`);
      context.book.add({ id: `cost.${name}`, label, unit: "µs/request", samples, baselineId: baseline && `cost.${baseline}` });
    }
  },
};
