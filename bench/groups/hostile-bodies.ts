// Hostile bodies: the function's resident memory after repeated 40 MB request bodies from a
// publishable-key caller (the key is public by design), against its own baseline. Bodies are
// refused by Content-Length before a byte is read, and a chunked body without one is abandoned
// at the first chunk past 64 KiB, so memory should stay where it was.
// Target: RSS after the bodies within 100 MB of the RSS before them.
import type { BenchGroup } from "../lib/context.ts";
import * as flagsFunction from "../lib/flags-function.ts";
import type { Figure, Target } from "../lib/results.ts";

const BODY_BYTES = 40 * 1024 * 1024;
const ROUNDS = 5;
const CONCURRENT = 4;
const ALLOWED_GROWTH_MIB = 100;
const mib = (bytes: number) => bytes / 1024 / 1024;
const OFREP_BULK = "/feature-flags/ofrep/v1/evaluate/flags";

/** A 40 MB body sent in 1 MiB chunks without a Content-Length (chunked transfer encoding). */
function chunkedBody(): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(1024 * 1024).fill(0x20);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= BODY_BYTES) return controller.close();
      sent += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
}

async function send(origin: string, headers: Record<string, string>, declared: boolean): Promise<number> {
  const body = declared ? new Uint8Array(BODY_BYTES).fill(0x20) : chunkedBody();
  try {
    const response = await fetch(`${origin}${OFREP_BULK}`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body, duplex: "half" } as RequestInit);
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0; // the server may close the connection on a refused upload: refused all the same
  }
}

function growthTarget(figure: Omit<Figure, "target">, baselineMib: number): Target {
  const growth = figure.samples.reduce((a, b) => Math.max(a, b), 0) - baselineMib;
  const met = growth <= ALLOWED_GROWTH_MIB;
  return { text: `<= baseline + ${ALLOWED_GROWTH_MIB} MiB`, met, shortfall: met ? undefined : `grew ${growth.toFixed(0)} MiB` };
}

export const hostileBodies: BenchGroup = {
  title: "Hostile bodies",
  async run(context) {
    const label = `RSS after ${ROUNDS} rounds of ${CONCURRENT} concurrent 40 MB bodies`;
    const fn = await flagsFunction.startFlagsFunction(await flagsFunction.flagsDatabase());
    try {
      const headers = fn.credentials.publishable;
      const baseline = fn.server.process.rssBytes();
      const after: number[] = [];
      const statuses = new Map<number, number>();
      for (let round = 0; round < ROUNDS; round++) {
        const answers = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => send(fn.server.origin, headers, (round + i) % 2 === 0)));
        for (const status of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1);
        after.push(fn.server.process.rssBytes());
        context.log(`  round ${round + 1}: RSS ${mib(after.at(-1)!).toFixed(1)} MiB (baseline ${mib(baseline).toFixed(1)} MiB)`);
      }
      const { book } = context;
      const answers = [...statuses].map(([status, n]) => `${n} x ${status || "connection closed"}`).join(", ");
      book.add({ id: "bodies.rss.baseline", label: "RSS before the bodies (after start and the first answer)", unit: "MiB", samples: [mib(baseline)] });
      book.add({
        id: "bodies.rss.after",
        label,
        unit: "MiB",
        samples: after.map(mib),
        target: (figure) => growthTarget(figure, mib(baseline)),
        note: `half declared by Content-Length, half chunked; answers: ${answers}`,
      });
    } finally {
      await fn.server.process.stop();
    }
  },
};
