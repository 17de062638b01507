// A request body read against a size limit without ever holding more than the limit: refused by
// its Content-Length before any byte is read, and otherwise read chunk by chunk and abandoned
// (the stream cancelled) as soon as it passes the limit. The publishable key is public, so any
// caller can send a body: one read whole before the check cost the process its size in memory.

export type BodyRead =
  | { ok: true; text: string }
  | { ok: false; reason: "too_large" | "unreadable" };

export async function readBodyWithin(request: Request, maxBytes: number): Promise<BodyRead> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) return { ok: false, reason: "too_large" };
  if (!request.body) return { ok: true, text: "" };
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
        return { ok: false, reason: "too_large" };
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, reason: "unreadable" };
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { ok: true, text: new TextDecoder().decode(bytes) };
}
