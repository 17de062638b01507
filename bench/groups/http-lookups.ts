// HTTP flag lookups under the real Deno with a warm cache, loaded by wrk (bench/lib/wrk.ts) on one
// core while the server runs pinned to the other, against a bare Deno.serve answering a constant
// JSON body of the same size, served the same way and loaded with the same requests in the same
// run. Cases alternate run by run, so drift over time hits all alike.
//
// Each request names a new subject (the function's worst case: nothing about the subject can be
// remembered), except the "repeated subjects" case, which cycles over 1,000 tenants as real
// traffic does. Besides req/s and latency, each case reports the server's CPU time per request
// (and the capacity ratio it gives against the baseline) and the generator's CPU: how a run held
// back by wrk or by a busy machine still decides a target, or does not, is bench/lib/verdicts.ts.
import path from "node:path";
import type { BenchContext, BenchGroup } from "../lib/context.ts";
import type { Lookup } from "../lib/flags-function.ts";
import * as flagsFunction from "../lib/flags-function.ts";
import { BENCH_DIR, startDenoServe, type RunningProcess } from "../lib/processes.ts";
import { median } from "../lib/stats.ts";
import { judged } from "../lib/verdicts.ts";
import { wireBytes } from "../lib/wire-bytes.ts";
import { ensureWrk, fillTemplate, GENERATOR_CPU, pinningUnavailable, processCpuSeconds, runWrk, SERVER_CPU, type RequestTemplate, type WrkResult } from "../lib/wrk.ts";

/** Tenants the repeated-subjects case cycles over. */
const REPEATED_SUBJECTS = 1_000;
/** A subject as long as most of a run's (wrk numbers them; a 5 s run reaches six digits). */
const TYPICAL_SUBJECT = "tenant-100000";

interface LoadCase {
  id: string;
  label: string;
  origin: string;
  server: RunningProcess;
  template: RequestTemplate;
  headers?: Record<string, string>;
  subjects: number;
  /** The case this one is compared with, and its throughput target (a minimum ratio), if any. */
  baselineId?: string;
  minRatio?: number;
  /** p99 at most this many times the baseline's. */
  maxP99Ratio?: number;
  /** A second baseline, for information only: capacity against it is reported, never judged. */
  referenceId?: string;
}

interface CaseRun extends WrkResult {
  serverCpuMicrosPerRequest: number;
  /** The server's CPU time over the measured window (1 = its core was saturated). */
  serverCpuShare: number;
}

async function measureCases(context: BenchContext, wrk: string, cases: LoadCase[]): Promise<Map<string, CaseRun[]>> {
  const { settings } = context;
  const results = new Map<string, CaseRun[]>(cases.map((c) => [c.id, []]));
  for (let run = 0; run < settings.runs; run++) {
    for (const c of cases) {
      const options = { origin: c.origin, template: c.template, headers: c.headers, connections: settings.connections, subjects: c.subjects };
      await runWrk(wrk, { ...options, durationSeconds: settings.warmupSeconds });
      const cpuBefore = processCpuSeconds(c.server.pid);
      const result = await runWrk(wrk, { ...options, durationSeconds: settings.durationSeconds });
      const serverCpu = processCpuSeconds(c.server.pid) - cpuBefore;
      const caseRun = { ...result, serverCpuMicrosPerRequest: (serverCpu / result.requests) * 1e6, serverCpuShare: serverCpu / (result.requests / result.requestsPerSecond) };
      context.log(`  ${c.id} run ${run + 1}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, server ${caseRun.serverCpuMicrosPerRequest.toFixed(1)} µs CPU/request (${(caseRun.serverCpuShare * 100).toFixed(0)} % of its core), wrk ${(result.generatorCpuShare * 100).toFixed(0)} % of its core`);
      results.get(c.id)!.push(caseRun);
    }
  }
  return results;
}

function recordCases(context: BenchContext, cases: LoadCase[], results: Map<string, CaseRun[]>): void {
  const { book } = context;
  const share = (id: string) => median(results.get(id)!.map((r) => r.generatorCpuShare));
  const serverShare = (id: string) => median(results.get(id)!.map((r) => r.serverCpuShare));
  for (const c of cases) {
    const runs = results.get(c.id)!;
    const note = `wrk at ${(share(c.id) * 100).toFixed(0)} % of its core, server at ${(serverShare(c.id) * 100).toFixed(0)} % of its`;
    const base = (suffix: string) => c.baselineId && `${c.baselineId}.${suffix}`;
    // Capacity: what each server does with its core saturated, from CPU per request, which wrk
    // does not limit; paired run by run (baseline and case ran next to each other).
    const baselineRuns = c.baselineId ? results.get(c.baselineId)! : undefined;
    const capacity = baselineRuns && runs.map((r, i) => baselineRuns[i]!.serverCpuMicrosPerRequest / r.serverCpuMicrosPerRequest);
    const shares = (id: string) => ({ generatorShare: share(id), serverShare: serverShare(id) });
    const facts = c.baselineId ? { case: shares(c.id), baseline: shares(c.baselineId) } : undefined;
    const throughputFacts = facts && capacity ? { ...facts, capacityRatio: median(capacity) } : undefined;
    book.add({ id: `${c.id}.rps`, label: `${c.label}: throughput`, unit: "req/s", samples: runs.map((r) => r.requestsPerSecond), baselineId: base("rps"), note, target: c.minRatio === undefined || !throughputFacts ? undefined : judged({ min: c.minRatio }, throughputFacts) });
    book.add({ id: `${c.id}.p50`, label: `${c.label}: p50 latency`, unit: "ms", samples: runs.map((r) => r.p50Ms), baselineId: base("p50") });
    book.add({ id: `${c.id}.p99`, label: `${c.label}: p99 latency`, unit: "ms", samples: runs.map((r) => r.p99Ms), baselineId: base("p99"), target: c.maxP99Ratio === undefined || !facts ? undefined : judged({ max: c.maxP99Ratio }, facts) });
    book.add({ id: `${c.id}.cpu`, label: `${c.label}: server CPU per request`, unit: "µs", samples: runs.map((r) => r.serverCpuMicrosPerRequest), baselineId: base("cpu") });
    if (capacity) {
      book.add({ id: `${c.id}.capacity`, label: `${c.label}: capacity from server CPU (baseline µs / this µs per request, run by run)`, unit: "x", samples: capacity });
    }
    const referenceRuns = c.referenceId ? results.get(c.referenceId)! : undefined;
    if (referenceRuns) {
      book.add({
        id: `${c.id}.capacity.wire`,
        label: `${c.label}: capacity from server CPU against the baseline as large on the wire (not judged; see the reference baseline's row)`,
        unit: "x",
        samples: runs.map((r, i) => referenceRuns[i]!.serverCpuMicrosPerRequest / r.serverCpuMicrosPerRequest),
      });
    }
  }
  // The generator's ceiling: requests per CPU-second of wrk on its core, over every run.
  const all = [...results.values()].flat();
  const ceiling = all.map((r) => r.requests / r.generatorCpuSeconds);
  book.add({
    id: "http.generator.ceiling",
    label: `wrk alone: requests it can send per second of its core (requests / its CPU seconds, ${all.length} runs)`,
    unit: "req/s",
    samples: ceiling,
    note: "a server rate near this is the generator's",
  });
}

export const httpLookups: BenchGroup = {
  title: "HTTP flag lookups",
  async run(context) {
    const unpinned = pinningUnavailable();
    if (unpinned) {
      context.book.skip("http", "HTTP lookups (wrk pinned away from the server)", unpinned);
      return;
    }
    const wrk = ensureWrk(context.log);
    const database = await flagsFunction.flagsDatabase();
    const fn = await flagsFunction.startFlagsFunction(database, { cpu: SERVER_CPU });
    const direct = fn.server;
    const lookups = await flagsFunction.describeLookups(fn);
    const viaGatewayFunction = await flagsFunction.startFlagsFunction(database, { cpu: SERVER_CPU, entry: "gateway" });
    const gateway = viaGatewayFunction.server;
    const gatewayLookups = await flagsFunction.describeLookups(viaGatewayFunction, flagsFunction.PATH_PREFIX.gateway);
    // One bare baseline per kind of lookup (one flag or every flag, GET or OFREP's POST, and the
    // credential), loaded with the requests of the first lookup of that kind (path, body, headers)
    // and answering a constant body as large as that lookup's answer: the baseline receives what
    // the function receives, so the difference between the two is what the function does.
    const cases: LoadCase[] = [];
    const baselineIds = new Map<string, string>();
    for (const lookup of lookups) {
      const kind = baselineKind(lookup);
      if (baselineIds.has(kind)) continue;
      const body = paddedJson(lookup.bodyBytes);
      const server = await startConstantJson(body);
      const id = `http.baseline.${kind}`;
      baselineIds.set(kind, id);
      cases.push({ id, label: `baseline: bare Deno.serve, constant ${Buffer.byteLength(body)}-byte JSON, loaded with the requests of ${lookup.label}`, origin: server.origin, server: server.process, template: lookup.template, headers: lookup.headers, subjects: 0 });
      const reference = await wireSizedBaseline(direct.origin, lookup, cases.at(-1)!);
      if (reference) cases.push(reference);
    }
    const targets = { single: 0.5, bulk: 0.4 } as const;
    for (const lookup of lookups) {
      const baselineId = baselineIds.get(baselineKind(lookup))!;
      const common = { origin: direct.origin, server: direct.process, template: lookup.template, headers: lookup.headers, baselineId };
      const judgedTargets = lookup.targeted ? { minRatio: targets[lookup.shape], maxP99Ratio: 2 } : {};
      const reference = cases.find((c) => c.id === `${baselineId}.wire`);
      cases.push({ id: lookup.id, label: lookup.label, subjects: 0, ...common, ...judgedTargets, ...(reference ? { referenceId: reference.id } : {}) });
      if (lookup.id === "http.get.single") {
        cases.push({ id: `${lookup.id}.repeated`, label: `${lookup.label}, ${REPEATED_SUBJECTS.toLocaleString("en-US")} tenants repeated`, subjects: REPEATED_SUBJECTS, ...common, ...judgedTargets });
      }
    }
    const viaGateway = gatewayLookups.find((l) => l.id === "http.get.single");
    if (viaGateway) {
      cases.push({ id: "http.gateway.get.single", label: `through npm start's /functions/v1 gateway: ${viaGateway.label}`, origin: gateway.origin, server: gateway.process, template: viaGateway.template, headers: viaGateway.headers, subjects: 0, baselineId: "http.get.single", minRatio: 0.85 });
    }
    context.log(`HTTP: ${cases.length} cases x ${context.settings.runs} runs; servers on core ${SERVER_CPU}, wrk on core ${GENERATOR_CPU}`);
    recordCases(context, cases, await measureCases(context, wrk, cases));
  },
};

/**
 * One flag or every flag, by GET or by OFREP's POST, with a publishable key, a secret key or a
 * user JWT: lookups of one kind share a baseline. The credential counts because Deno reads every
 * header of every request, and a bare server pays for that too: the bench's user JWT header is
 * some 250 bytes longer than a publishable key's.
 */
function baselineKind(lookup: Lookup): string {
  const kind = lookup.template.method === "POST" ? `${lookup.shape}.post` : lookup.shape;
  return lookup.credential === "publishable" ? kind : `${kind}.${lookup.credential}`;
}

/**
 * A bare baseline whose answer is as large on the wire (status line, headers, body) as the
 * lookup's, for information next to the judged one, whose body only is as large: Deno writes an
 * answer of more than 512 bytes at a higher cost (wire-bytes.ts), and the function's headers can
 * put its answer above that boundary while the judged baseline's stays below. Null when both are
 * on the same side of it, where the judged baseline says it all.
 */
async function wireSizedBaseline(functionOrigin: string, lookup: Lookup, judged: LoadCase): Promise<LoadCase | null> {
  const request = (template: RequestTemplate) => fillTemplate(template, TYPICAL_SUBJECT);
  const functionBytes = await wireBytes(functionOrigin, request(lookup.template), lookup.headers);
  const judgedBytes = await wireBytes(judged.origin, request(judged.template), judged.headers);
  if ((functionBytes > 512) === (judgedBytes > 512)) return null;
  // The bare server's status line and headers: its wire size less its body (same number of
  // content-length digits, as both bodies are hundreds of bytes).
  const judgedBody = Buffer.byteLength(paddedJson(lookup.bodyBytes));
  const body = paddedJson(functionBytes - (judgedBytes - judgedBody));
  const server = await startConstantJson(body);
  const referenceBytes = await wireBytes(server.origin, request(judged.template), judged.headers);
  if (referenceBytes !== functionBytes) throw new Error(`the wire-sized baseline answers ${referenceBytes} bytes, the function ${functionBytes}`);
  return {
    id: `${judged.id}.wire`,
    label: `reference, not judged: bare Deno.serve, constant JSON as large on the wire as the answer of ${lookup.label} (${functionBytes} bytes with status line and headers; its judged baseline's answer is ${judgedBytes})`,
    origin: server.origin,
    server: server.process,
    template: judged.template,
    headers: judged.headers,
    subjects: 0,
  };
}

/** A bare Deno.serve on the server's core, answering `body` to every request. */
function startConstantJson(body: string) {
  return startDenoServe(path.join(BENCH_DIR, "deno", "constant-json.ts"), { env: { BENCH_BODY: body }, permissions: ["--allow-env=BENCH_BODY"], cpu: SERVER_CPU });
}

/** A constant JSON body of exactly `bytes` bytes (`{"padding":""}`, 14 bytes, padded), for a bare baseline. */
function paddedJson(bytes: number): string {
  return JSON.stringify({ padding: "x".repeat(Math.max(0, bytes - 14)) });
}
