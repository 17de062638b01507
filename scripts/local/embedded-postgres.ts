// An embedded Postgres (PGlite) served over the wire protocol, so that the real Supabase CLI,
// psql and postgres.js can connect to it like to any server. For development and tests only.
//
// PGlite is one Postgres session shared by every socket connection (queries are queued one at a
// time), so session state such as SET ROLE is seen by all of them: use one connection at a time.
import { createServer } from "node:net";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface EmbeddedPostgres {
  url: string;
  port: number;
  /** The whole data directory as a tarball, which `loadDataDir` starts another instance from. */
  dumpDataDir(): Promise<Blob>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * dataDir: a folder to keep the database in; in memory when omitted. loadDataDir: a tarball made
 * by dumpDataDir to start from (a copy of that database) instead of an empty cluster.
 */
export async function startEmbeddedPostgres(options: { dataDir?: string; port?: number; loadDataDir?: Blob } = {}): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(options.dataDir ?? "memory://", options.loadDataDir ? { loadDataDir: options.loadDataDir } : {});
  const port = options.port ?? (await freePort());
  const server = new PGLiteSocketServer({ db, port, host: "127.0.0.1", maxConnections: 16 });
  await server.start();
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    port,
    dumpDataDir: () => db.dumpDataDir("none"),
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
