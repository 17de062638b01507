// The bench's wrk script (bench/wrk/subjects.lua) writes its requests by hand, bytes and all, to
// keep the generator cheap: a server that records every raw request checks that each one is the
// request the template describes, with its own subject, its headers and a right Content-Length.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findWrk, pinningUnavailable, runWrk, type RequestTemplate } from "../../../bench/lib/wrk.ts";

// .ci/run installs wrk; without it (or without two cores to pin it to) there is nothing to check.
const wrk = pinningUnavailable() === undefined ? findWrk() : undefined;

interface RawRequest {
  head: string;
  body: string;
}

/** A server that answers `{}` to every request and keeps each request's head and body as sent. */
function recordingServer(): Promise<{ origin: string; requests: RawRequest[]; close: () => Promise<void> }> {
  const requests: RawRequest[] = [];
  const server = net.createServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const end = pending.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = pending.subarray(0, end).toString("latin1");
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        requests.push({ head, body: pending.subarray(end + 4, end + 4 + length).toString("utf8") });
        pending = pending.subarray(end + 4 + length);
        socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}");
      }
    });
    socket.on("error", () => {});
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({ origin: `http://127.0.0.1:${port}`, requests, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

function headersOf(head: string): { requestLine: string; headers: Map<string, string> } {
  const [requestLine, ...lines] = head.split("\r\n");
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    expect(colon, `header line ${JSON.stringify(line)}`).toBeGreaterThan(0);
    const name = line.slice(0, colon).toLowerCase();
    expect(headers.has(name), `header ${name} sent twice`).toBe(false);
    headers.set(name, line.slice(colon + 1).trim());
  }
  return { requestLine: requestLine!, headers };
}

describe.skipIf(wrk === undefined)("the bench's wrk requests, as a server receives them", () => {
  let server: Awaited<ReturnType<typeof recordingServer>>;
  beforeAll(async () => {
    server = await recordingServer();
  });
  afterAll(() => server.close());

  const load = async (template: RequestTemplate, subjects: number) => {
    server.requests.length = 0;
    const result = await runWrk(wrk!, {
      origin: server.origin,
      template,
      headers: { apikey: "sb_publishable_test-key" },
      // One connection: the server then sees the requests in the order wrk wrote them.
      connections: 1,
      durationSeconds: 1,
      subjects,
    });
    // wrk counts only the answers it read; the server may have one more.
    expect(server.requests.length).toBeGreaterThanOrEqual(result.requests);
    expect(result.requests).toBeGreaterThan(100);
    return server.requests;
  };
  // wrk asks the script for one request it never sends before the first it does: the subjects'
  // numbers run on from wherever the first one is.
  const firstNumber = (requests: RawRequest[], pattern: RegExp) => Number(pattern.exec(requests[0]!.head + requests[0]!.body)![1]);

  it("GET: the subject in the path, a new one per request, and only the headers asked for", async () => {
    const requests = await load({ path: "/feature-flags/DLQ_ENABLED?subject={subject}" }, 0);
    const port = new URL(server.origin).port;
    const first = firstNumber(requests, /subject=tenant-(\d+) /);
    expect(first).toBeLessThanOrEqual(2);
    requests.forEach((request, index) => {
      const { requestLine, headers } = headersOf(request.head);
      expect(requestLine).toBe(`GET /feature-flags/DLQ_ENABLED?subject=tenant-${first + index} HTTP/1.1`);
      expect(Object.fromEntries(headers)).toEqual({ host: `127.0.0.1:${port}`, apikey: "sb_publishable_test-key" });
      expect(request.body).toBe("");
    });
  });

  it("POST: the subject in the JSON body, with its Content-Length and content type", async () => {
    const requests = await load({ method: "POST", path: "/ofrep/v1/evaluate/flags/DLQ_ENABLED", body: '{"context":{"targetingKey":"{subject}"}}' }, 0);
    const first = firstNumber(requests, /"targetingKey":"tenant-(\d+)"/);
    expect(first).toBeLessThanOrEqual(2);
    requests.forEach((request, index) => {
      const { requestLine, headers } = headersOf(request.head);
      expect(requestLine).toBe("POST /ofrep/v1/evaluate/flags/DLQ_ENABLED HTTP/1.1");
      expect(request.body).toBe(`{"context":{"targetingKey":"tenant-${first + index}"}}`);
      expect(headers.get("content-length")).toBe(String(Buffer.byteLength(request.body)));
      expect(headers.get("content-type")).toBe("application/json");
      expect(headers.get("apikey")).toBe("sb_publishable_test-key");
      expect([...headers.keys()].sort()).toEqual(["apikey", "content-length", "content-type", "host"]);
    });
  });

  it("repeated tenants: the subjects cycle over the set given", async () => {
    const requests = await load({ path: "/feature-flags/DLQ_ENABLED?subject={subject}" }, 7);
    const subjects = requests.map((request) => /subject=([^ ]+) /.exec(request.head)![1]);
    expect(new Set(subjects)).toEqual(new Set(Array.from({ length: 7 }, (_, n) => `tenant-${n}`)));
    const first = firstNumber(requests, /subject=tenant-(\d+) /);
    subjects.forEach((subject, index) => expect(subject).toBe(`tenant-${(first + index) % 7}`));
  });
});
