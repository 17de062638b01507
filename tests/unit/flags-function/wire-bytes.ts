// Bytes for the wire-protocol tests: integers big-endian, strings zero-terminated UTF-8, and a
// backend message (type byte, length, body) as a PostgreSQL server sends it.
export function int32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, value);
  return out;
}

export function int16(value: number): Uint8Array {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setInt16(0, value);
  return out;
}

export function text(value: string): Uint8Array {
  return Uint8Array.from([...new TextEncoder().encode(value), 0]);
}

export function backendMessage(type: string, ...parts: Array<number[] | Uint8Array>): Uint8Array {
  const content = parts.flatMap((part) => [...part]);
  return Uint8Array.from([type.charCodeAt(0), ...int32(4 + content.length), ...content]);
}
