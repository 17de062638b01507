// Request bodies are read against the 64 KiB limit without holding more than it: a declared
// Content-Length over the limit is refused before any byte is read, and an undeclared (chunked)
// body is abandoned at the first chunk past the limit, its stream cancelled.
import { describe, expect, it } from "vitest";
import { readBodyWithin } from "../../../functions/feature-flags/request-body.ts";

const LIMIT = 64 * 1024;
const CHUNK = 16 * 1024;

/** An endless body that counts what was pulled from it and whether it was cancelled. */
function endlessBody() {
  const seen = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      seen.pulled += CHUNK;
      controller.enqueue(new Uint8Array(CHUNK).fill(0x61));
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { stream, seen };
}

function post(body: BodyInit | null, headers: Record<string, string> = {}) {
  return new Request("http://127.0.0.1/feature-flags/ofrep/v1/evaluate/flags", { method: "POST", body, headers, duplex: "half" } as RequestInit);
}

describe("readBodyWithin", () => {
  it("refuses a declared Content-Length over the limit without reading a byte", async () => {
    const { stream, seen } = endlessBody();
    expect(await readBodyWithin(post(stream, { "content-length": String(100 * 1024 * 1024) }), LIMIT)).toEqual({ data: null, error: "too_large" });
    expect(seen.pulled).toBeLessThanOrEqual(CHUNK); // a stream may pre-pull one chunk; nothing was read from it
  });

  it("stops an undeclared body at the first chunk past the limit and cancels its stream", async () => {
    const { stream, seen } = endlessBody();
    expect(await readBodyWithin(post(stream), LIMIT)).toEqual({ data: null, error: "too_large" });
    expect(seen.cancelled).toBe(true);
    expect(seen.pulled).toBeLessThanOrEqual(LIMIT + 2 * CHUNK);
  });

  it("reads a body up to the limit whole, multi-byte characters across chunks included", async () => {
    const text = `{"context":{"targetingKey":"${"é".repeat((LIMIT - 40) / 2)}"}}`;
    expect(new TextEncoder().encode(text).length).toBeLessThanOrEqual(LIMIT);
    expect(await readBodyWithin(post(text), LIMIT)).toEqual({ data: text, error: null });
    expect(await readBodyWithin(post(`${text}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`), LIMIT)).toEqual({ data: null, error: "too_large" });
    expect(await readBodyWithin(post(null), LIMIT)).toEqual({ data: "", error: null });
  });

  it("reads a body declared within the limit in one go, and refuses one that turns out larger than declared", async () => {
    const text = '{"context":{"targetingKey":"é"}}';
    const bytes = String(new TextEncoder().encode(text).length);
    expect(await readBodyWithin(post(text, { "content-length": bytes }), LIMIT)).toEqual({ data: text, error: null });
    expect(await readBodyWithin(post("x".repeat(LIMIT + 1), { "content-length": "10" }), LIMIT)).toEqual({ data: null, error: "too_large" });
  });

  it("decodes a declared body as TextDecoder does: its leading BOM dropped, invalid bytes replaced", async () => {
    const bytes = Uint8Array.from([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"context":{"targetingKey":"a'), 0xff, 0xe2, 0x82, ...new TextEncoder().encode('"}}')]);
    const read = await readBodyWithin(post(bytes, { "content-length": String(bytes.length) }), LIMIT);
    expect(read).toEqual({ data: new TextDecoder().decode(bytes), error: null });
    expect(read.data).toBe('{"context":{"targetingKey":"a\ufffd\ufffd"}}');
  });

  it("a body that fails mid-stream is unreadable, not a crash", async () => {
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error("connection reset"));
      },
    });
    expect(await readBodyWithin(post(broken), LIMIT)).toEqual({ data: null, error: "unreadable" });
  });
});
