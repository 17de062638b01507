// How many bytes a server writes for one answer, as on the wire: status line, headers and body.
//
// Why the bench needs it: Deno (2.9) writes an HTTP/1.1 response of more than 512 bytes at a cost
// about 6 µs higher than one of at most 512 bytes, measured with the same headers on either side of
// the boundary. A bare baseline whose body is as large as the function's answer, but whose headers
// are fewer, can fall below that boundary while the function's answer is above it.
import net from "node:net";
import type { fillTemplate } from "./wrk.ts";

type FilledRequest = ReturnType<typeof fillTemplate>;

/** Sends one HTTP/1.1 request over a fresh connection and counts the answer's bytes. */
export function wireBytes(origin: string, request: FilledRequest, headers: Record<string, string> = {}): Promise<number> {
  const { hostname, port } = new URL(origin);
  const body = request.body === undefined ? "" : request.body;
  const lines = [
    `${request.method} ${request.path} HTTP/1.1`,
    `host: ${hostname}:${port}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ...(request.body === undefined ? [] : ["content-type: application/json", `content-length: ${Buffer.byteLength(body)}`]),
  ];
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(10_000, () => fail(new Error(`no whole answer from ${origin}${request.path} within 10 s`)));
    socket.on("error", fail);
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const headEnd = received.indexOf("\r\n\r\n");
      if (headEnd < 0) return;
      const head = received.subarray(0, headEnd).toString("latin1");
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!length) return fail(new Error(`the answer from ${origin}${request.path} has no content-length:\n${head}`));
      const total = headEnd + 4 + Number(length[1]);
      if (received.length < total) return;
      socket.destroy();
      resolve(total);
    });
    socket.write(`${lines.join("\r\n")}\r\n\r\n${body}`);
  });
}
