// Runs a full garbage collection in a Deno process started with --inspect, through the Chrome
// DevTools Protocol, and prints the V8 heap in use afterwards as JSON ({ usedBytes, totalBytes }).
// What is left after a full GC is what the process retains; RSS alone also shows garbage V8 has
// not collected yet. Usage: deno run --allow-net=127.0.0.1 heap-after-gc.ts <inspector host:port>
const inspector = Deno.args[0];
if (!inspector) throw new Error("usage: heap-after-gc.ts <inspector host:port>");
const targets = (await (await fetch(`http://${inspector}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
const socket = new WebSocket(targets[0]!.webSocketDebuggerUrl);
await new Promise((resolve, reject) => {
  socket.onopen = resolve;
  socket.onerror = reject;
});
let nextId = 1;
const pending = new Map<number, (result: Record<string, unknown>) => void>();
socket.onmessage = (event) => {
  const message = JSON.parse(event.data as string) as { id?: number; result?: Record<string, unknown>; error?: unknown };
  if (message.id === undefined) return;
  if (message.error) throw new Error(`inspector: ${JSON.stringify(message.error)}`);
  pending.get(message.id)?.(message.result ?? {});
};
const call = (method: string) =>
  new Promise<Record<string, unknown>>((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    socket.send(JSON.stringify({ id, method }));
  });
await call("HeapProfiler.collectGarbage");
await call("HeapProfiler.collectGarbage");
const usage = await call("Runtime.getHeapUsage");
socket.close();
console.log(JSON.stringify({ usedBytes: usage.usedSize, totalBytes: usage.totalSize }));
