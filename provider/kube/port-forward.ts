// Reaching a pod's port through the API server (what `kubectl port-forward` does): a local TCP
// server on 127.0.0.1:0 whose every connection becomes one port-forward WebSocket to the pod.
// Used when pod IPs are not routable from where the engine runs (a laptop against a remote cluster).
import * as net from "node:net";
import * as k8s from "@kubernetes/client-node";
import type { Logger } from "../log";

/** The part of the port-forward WebSocket used here (client-node types it from isomorphic-ws, whose types are not installed). */
interface Tunnel {
  on(event: "close", listener: () => void): void;
  close(): void;
}
import { silentLogger } from "../log";

export interface Forward {
  /** The local port on 127.0.0.1. */
  port: number;
  close(): Promise<void>;
}

export async function openPortForward(
  kc: k8s.KubeConfig,
  namespace: string,
  pod: string,
  targetPort: number,
  logger: Logger = silentLogger,
): Promise<Forward> {
  const pf = new k8s.PortForward(kc);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    pf.portForward(namespace, pod, [targetPort], socket, null, socket)
      .then((ws) => {
        // When the pod side goes away, end the local connection so the HTTP client sees it.
        const tunnel = ws as Tunnel | (() => Tunnel | null);
        const w = typeof tunnel === "function" ? tunnel() : tunnel;
        w?.on("close", () => socket.end());
        socket.on("close", () => w?.close());
      })
      .catch((err: unknown) => {
        logger.debug({ namespace, pod, targetPort, err: String(err) }, "port-forward failed");
        socket.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  // A forward must never keep the process alive on its own.
  server.unref();
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
