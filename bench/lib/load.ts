// HTTP load with autocannon (a real load generator, in this process), to 127.0.0.1 only.
//
// autocannon's own latency histogram keeps whole milliseconds, too coarse for sub-millisecond
// loopback answers, so every response's duration (a float from process.hrtime) is recorded here
// and the percentiles are computed from those.
import autocannon from "autocannon";
import { percentile } from "./stats.ts";

export interface LoadOptions {
  origin: string;
  /** The i-th request (so that each request can ask for a different subject). */
  requestOf: (i: number) => LoadRequest;
  headers?: Record<string, string>;
  connections: number;
  durationSeconds?: number;
  /** A fixed number of requests instead of a duration. */
  amount?: number;
}

export interface LoadRequest {
  path: string;
  method?: "GET" | "POST";
  /** A JSON body (sent with content-type application/json). */
  body?: string;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Every answer that was not a 200, by status; a run with any is refused by `loadOrThrow`. */
  unexpected: Record<string, number>;
  errors: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { hostname } = new URL(options.origin);
  if (hostname !== "127.0.0.1") throw new Error(`load is only sent to 127.0.0.1, not ${hostname}`);
  let next = 0;
  const durations: number[] = [];
  const unexpected: Record<string, number> = {};
  const instance = autocannon({
    url: options.origin,
    connections: options.connections,
    duration: options.durationSeconds ?? 10,
    amount: options.amount,
    headers: options.headers,
    timeout: 10,
    requests: [
      {
        setupRequest: (request) => {
          const wanted = options.requestOf(next++);
          request.path = wanted.path;
          request.method = wanted.method ?? "GET";
          if (wanted.body !== undefined) {
            request.body = wanted.body;
            request.headers = { ...request.headers, "content-type": "application/json" };
          }
          return request;
        },
      },
    ],
  });
  instance.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode === 200) durations.push(responseTime);
    else unexpected[statusCode] = (unexpected[statusCode] ?? 0) + 1;
  });
  const result = await instance;
  const seconds = result.duration;
  return {
    requestsPerSecond: durations.length / seconds,
    p50Ms: durations.length ? percentile(durations, 50) : Number.NaN,
    p99Ms: durations.length ? percentile(durations, 99) : Number.NaN,
    requests: durations.length,
    unexpected,
    errors: result.errors + result.timeouts,
  };
}

/** A run whose answers were not all 200 measures something else than a lookup: refuse it. */
export async function loadOrThrow(options: LoadOptions): Promise<LoadResult> {
  const result = await runLoad(options);
  if (result.errors > 0 || Object.keys(result.unexpected).length > 0 || result.requests === 0) {
    throw new Error(`load on ${options.origin}${options.requestOf(0).path}: ${result.errors} errors, unexpected statuses ${JSON.stringify(result.unexpected)}, ${result.requests} good answers`);
  }
  return result;
}
