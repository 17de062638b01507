// HTTP flag lookups under the real Deno with a warm cache, against baselines served the same way
// in the same run: a bare Deno.serve answering a constant JSON body of the same size as the
// lookup's answer, and the scale reference (two node:crypto SHA-256 buckets per request).
// Then the same lookups with each kind of credential (authentication cost).
import path from "node:path";
import type { BenchContext, BenchGroup } from "../lib/context.ts";
import type { Lookup } from "../lib/flags-function.ts";
import { loadFlagsFunction } from "../lib/function-presence.ts";
import { loadOrThrow, type LoadRequest, type LoadResult } from "../lib/load.ts";
import { BENCH_DIR, startDenoServe } from "../lib/processes.ts";
import { ratioTarget } from "../lib/results.ts";
import { evaluateFlag } from "../../functions/_shared/rollout.ts";

interface LoadCase {
  id: string;
  label: string;
  origin: string;
  requestOf: (i: number) => LoadRequest;
  headers?: Record<string, string>;
  /** The baseline case this one is compared with, and whether the targets apply. */
  baselineId?: string;
  targeted?: boolean;
}

const DENO_FILES = path.join(BENCH_DIR, "deno");

/** Runs every case once per repetition, interleaved, so that drift over time hits all alike. */
async function measureCases(context: BenchContext, cases: LoadCase[]): Promise<Map<string, LoadResult[]>> {
  const { settings } = context;
  const results = new Map<string, LoadResult[]>(cases.map((c) => [c.id, []]));
  for (let run = 0; run < settings.runs; run++) {
    for (const c of cases) {
      const options = { origin: c.origin, requestOf: c.requestOf, headers: c.headers, connections: settings.connections };
      await loadOrThrow({ ...options, durationSeconds: settings.warmupSeconds });
      const result = await loadOrThrow({ ...options, durationSeconds: settings.durationSeconds });
      context.log(`  ${c.id} run ${run + 1}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms`);
      results.get(c.id)!.push(result);
    }
  }
  return results;
}

function recordCases(context: BenchContext, cases: LoadCase[], results: Map<string, LoadResult[]>): void {
  for (const c of cases) {
    const runs = results.get(c.id)!;
    const throughputTarget = c.targeted ? ratioTarget({ min: 0.7 }) : undefined;
    const latencyTarget = c.targeted ? ratioTarget({ max: 2 }) : undefined;
    context.book.add({ id: `${c.id}.rps`, label: `${c.label}: throughput`, unit: "req/s", samples: runs.map((r) => r.requestsPerSecond), baselineId: c.baselineId && `${c.baselineId}.rps`, target: throughputTarget });
    context.book.add({ id: `${c.id}.p50`, label: `${c.label}: p50 latency`, unit: "ms", samples: runs.map((r) => r.p50Ms), baselineId: c.baselineId && `${c.baselineId}.p50` });
    context.book.add({ id: `${c.id}.p99`, label: `${c.label}: p99 latency`, unit: "ms", samples: runs.map((r) => r.p99Ms), baselineId: c.baselineId && `${c.baselineId}.p99`, target: latencyTarget });
  }
}

const subjectQuery = (i: number) => `subject=tenant-${i}`;

/** Without the function, a body shaped like one evaluation stands in for the size of an answer. */
function standInBody(): string {
  return JSON.stringify(evaluateFlag({ key: "DLQ_ENABLED", enabled: true, rolloutPercentage: 5, bucketGroup: "DLQ_ENABLED" }, "tenant-1"));
}

export const httpLookups: BenchGroup = {
  title: "HTTP flag lookups",
  async run(context) {
    const flagsFunction = await loadFlagsFunction();
    let lookups: Lookup[] = [];
    let origin = "";
    if (typeof flagsFunction !== "string") {
      const fn = await flagsFunction.startFlagsFunction(await flagsFunction.flagsDatabase());
      origin = fn.server.origin;
      lookups = await flagsFunction.describeLookups(fn);
    }
    // One bare baseline per answer shape, with a body as large as the function's plain answer.
    const sizes = new Map<Lookup["shape"], number>();
    for (const lookup of lookups) if (!sizes.has(lookup.shape)) sizes.set(lookup.shape, lookup.bodyBytes);
    if (sizes.size === 0) sizes.set("single", Buffer.byteLength(standInBody()));
    const cases: LoadCase[] = [];
    for (const [shape, bytes] of sizes) {
      // {"padding":""} is 14 bytes: pad to exactly the answer's size.
      const body = JSON.stringify({ padding: "x".repeat(Math.max(0, bytes - 14)) });
      const server = await startDenoServe(path.join(DENO_FILES, "constant-json.ts"), { env: { BENCH_BODY: body }, permissions: ["--allow-env=BENCH_BODY"] });
      cases.push({ id: `http.baseline.${shape}`, label: `baseline: bare Deno.serve, constant ${Buffer.byteLength(body)}-byte JSON (${shape}-flag answer size)`, origin: server.origin, requestOf: (i) => ({ path: `/feature-flags?${subjectQuery(i)}` }) });
    }
    const sha = await startDenoServe(path.join(DENO_FILES, "sha256-buckets.ts"));
    cases.push({ id: "http.sha256", label: "reference: Deno handler, two node:crypto SHA-256 buckets per request", origin: sha.origin, requestOf: (i) => ({ path: `/?${subjectQuery(i)}` }), baselineId: "http.baseline.single" });
    for (const lookup of lookups) {
      cases.push({ id: lookup.id, label: lookup.label, origin, requestOf: lookup.requestOf, headers: lookup.headers, baselineId: `http.baseline.${lookup.shape}`, targeted: lookup.targeted });
    }
    context.log(`HTTP: ${cases.length} cases x ${context.settings.runs} runs`);
    recordCases(context, cases, await measureCases(context, cases));
    if (typeof flagsFunction === "string") {
      context.book.skip("http.lookups", "feature-flags function: single, bulk, OFREP lookups; auth cost (publishable, secret, user JWT)", flagsFunction);
    }
  },
};
