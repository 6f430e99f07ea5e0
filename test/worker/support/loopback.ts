/**
 * The loopback servers the workers project's global setup starts (feed-server*.ts, webmention-*.ts):
 * listening on a free loopback port, and a close() that also ends the sockets workerd keeps alive
 * (server.close alone waits for them).
 */
import type { Server, Socket } from "node:net";

export interface Listening {
  port: number;
  close(): Promise<void>;
}

export async function listenOnLoopback(server: Server, what: string): Promise<Listening> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error(`${what} has no port`);
  return {
    port: address.port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
