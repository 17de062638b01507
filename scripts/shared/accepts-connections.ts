// Whether a server listens yet, asked with a bare TCP connect: no HTTP request reaches it, and a
// refused connect costs next to nothing, so it can be tried often while a server starts.
import net from "node:net";

/** Whether `hostname`:`port` accepts a TCP connection now (closed at once). */
export function acceptsConnections(hostname: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      socket.destroy();
      resolve(false);
    });
  });
}
