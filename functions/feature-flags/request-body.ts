// A request body read against a size limit without ever holding more than the limit: refused by
// its Content-Length before any byte is read, and otherwise read chunk by chunk and abandoned
// (the stream cancelled) as soon as it passes the limit. The publishable key is public, so any
// caller can send a body: one read whole before the check cost the process its size in memory.
//
// A body whose Content-Length is declared within the limit is read in one go, as text (far
// cheaper than a read per chunk, and than bytes decoded here): the HTTP server ends such a body at
// the declared length (HTTP/1.1 frames it by that length, HTTP/2 refuses a mismatch), so it cannot
// grow past the limit. Its size is checked again after the read all the same: a text has at most
// as many UTF-16 units as its UTF-8 bytes, so one longer than the limit came from a longer body.
// Request.text() decodes as TextDecoder does (one leading BOM dropped, invalid bytes replaced
// with U+FFFD), so either path gives the same text for the same bytes.

import { failure, ok, type Result } from "../_shared/result.ts";

export type BodyRead = Result<string, "too_large" | "unreadable">;

const utf8 = new TextDecoder();

export async function readBodyWithin(request: Request, maxBytes: number): Promise<BodyRead> {
  const declared = request.headers.get("content-length");
  const declaredBytes = declared !== null && /^\d+$/.test(declared.trim()) ? Number(declared) : null;
  if (declaredBytes !== null && declaredBytes > maxBytes) return failure("too_large");
  // Before touching request.body: asking for it builds a stream the one-go read does without.
  if (declaredBytes !== null) {
    try {
      const text = await request.text();
      return text.length > maxBytes ? failure("too_large") : ok(text);
    } catch {
      return failure("unreadable");
    }
  }
  if (!request.body) return ok("");
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel("request body over the limit").catch(() => {});
        return failure("too_large");
      }
      chunks.push(value);
    }
  } catch {
    return failure("unreadable");
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return ok(utf8.decode(bytes));
}
