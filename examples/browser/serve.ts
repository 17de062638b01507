// Serves the browser example on its own origin (127.0.0.1:5173 by default), bundling page.ts for the
// browser with esbuild on start. Run `npm start` first, then:
//   SUPABASE_PUBLISHABLE_KEY=sb_publishable_... npm run example:browser
// and open the address it prints.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface ExamplePageServer {
  origin: string;
  close(): Promise<void>;
}

/** Bundles the page and serves index.html and page.js; every other path is a 404. */
export async function startExamplePageServer(port = 5173): Promise<ExamplePageServer> {
  const bundle = await build({
    entryPoints: [path.join(HERE, "page.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const files: Record<string, { type: string; body: string | Uint8Array }> = {
    "/": { type: "text/html; charset=utf-8", body: readFileSync(path.join(HERE, "index.html")) },
    "/page.js": { type: "text/javascript; charset=utf-8", body: bundle.outputFiles[0]!.contents },
  };
  const server: Server = createServer((request, response) => {
    const file = files[new URL(request.url ?? "/", "http://page").pathname];
    if (!file) return response.writeHead(404).end("not found");
    response.writeHead(200, { "content-type": file.type, "cache-control": "no-store" }).end(file.body);
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const supabaseUrl = process.env.SUPABASE_URL ?? "http://127.0.0.1:54321";
  const key = process.env.SUPABASE_PUBLISHABLE_KEY;
  if (!key) {
    console.error("Set SUPABASE_PUBLISHABLE_KEY to the publishable key `npm start` printed.");
    process.exit(2);
  }
  const page = await startExamplePageServer(Number(process.env.PAGE_PORT ?? 5173));
  const query = new URLSearchParams({ url: supabaseUrl, key, subject: process.env.SUBJECT ?? "tenant-42", poll: "5000" });
  console.log(`Open ${page.origin}/?${query}\nPress Ctrl-C to stop.`);
}
