// A TCP proxy in front of the test database, so a test can make the database "go away" for the
// function (refuse and drop connections) and come back, on PGlite and on a server alike, or stall
// the sessions it has open (a network partition: bytes held, nothing closed).
import { createServer, connect, type Server, type Socket } from "node:net";
import { freePort } from "../../scripts/local/embedded-postgres.ts";

export type Direction = "to_server" | "to_client";

export interface TcpProxy {
  /** The database URL with the proxy's port. */
  url: string;
  /** Drops every connection and refuses new ones. */
  cut(): Promise<void>;
  /** Accepts connections again. */
  restore(): Promise<void>;
  /**
   * Stops forwarding on the connections open now, holding their bytes without closing anything:
   * at once in both directions, or from the first chunk in `direction` whose text matches `when`.
   * Connections opened afterwards are not affected, unless `newConnections` arms the trigger on
   * them too (until resume()), for a client that connects only when it starts its work.
   */
  stall(trigger?: { direction: Direction; when: RegExp; newConnections?: boolean }): void;
  /** True once a stall holds bytes (a triggered one has fired). */
  stalled(): boolean;
  /** Forwards the held bytes and carries on. */
  resume(): void;
  close(): Promise<void>;
}

interface Link {
  forward(chunk: Buffer): void;
  held: Buffer[] | null;
  trigger: RegExp | null;
}

export async function startTcpProxy(databaseUrl: string): Promise<TcpProxy> {
  const target = new URL(databaseUrl);
  const port = await freePort();
  const sockets = new Set<Socket>();
  const links = new Set<Link>();
  let server: Server | null = null;
  const armed: Array<{ direction: Direction; when: RegExp }> = [];

  const link = (from: Socket, to: Socket, direction: Direction, byDirection: Map<Direction, Link>) => {
    const state: Link = { forward: (chunk) => to.write(chunk), held: null, trigger: null };
    from.on("data", (chunk: Buffer) => {
      if (state.held === null && state.trigger?.test(chunk.toString("latin1"))) state.held = [];
      if (state.held) state.held.push(chunk);
      else state.forward(chunk);
    });
    byDirection.set(direction, state);
    links.add(state);
    from.on("close", () => links.delete(state));
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on("close", () => sockets.delete(socket));
          socket.on("error", () => {});
        }
        const byDirection = new Map<Direction, Link>();
        link(client, upstream, "to_server", byDirection);
        link(upstream, client, "to_client", byDirection);
        (client as Socket & { links?: Map<Direction, Link> }).links = byDirection;
        for (const trigger of armed) byDirection.get(trigger.direction)!.trigger = trigger.when;
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
      });
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = null;
    });

  await listen();
  const url = new URL(databaseUrl);
  url.port = String(port);
  return {
    url: url.toString(),
    cut: stop,
    restore: listen,
    stall(trigger) {
      if (trigger?.newConnections) armed.push({ direction: trigger.direction, when: trigger.when });
      for (const socket of sockets) {
        const byDirection = (socket as Socket & { links?: Map<Direction, Link> }).links;
        if (!byDirection) continue;
        for (const [direction, state] of byDirection) {
          if (!trigger) state.held ??= [];
          else if (direction === trigger.direction) state.trigger = trigger.when;
        }
      }
    },
    stalled: () => [...links].some((state) => state.held !== null),
    resume() {
      armed.length = 0;
      for (const state of links) {
        const held = state.held ?? [];
        state.held = null;
        state.trigger = null;
        for (const chunk of held) state.forward(chunk);
      }
    },
    close: stop,
  };
}
