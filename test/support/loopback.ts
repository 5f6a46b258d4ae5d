import type { Server } from "node:net";

/** Listens on a free port of 127.0.0.1 and returns it: every test server lives on loopback only. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("server has no address");
  return address.port;
}

/** Cuts open connections and closes the server, so a suite leaves nothing listening. */
export async function closeServer(server: { closeAllConnections(): void; close(cb: () => void): unknown } | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
