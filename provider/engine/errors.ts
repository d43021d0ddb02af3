// Errors of the engine's one-node-at-a-time operations (./nodes.ts), in a module of their own so a
// front door can tell them apart without loading the engine (the CLI's --help stays instant).
import type { NetworkRef } from "./types";

/** No network of regnet's with that name in that namespace. */
export class NetworkNotFoundError extends Error {
  override readonly name = "NetworkNotFoundError";
  constructor(readonly ref: NetworkRef) {
    super(`no regnet network "${ref.name}" in namespace "${ref.namespace}"`);
  }
}

/** The network exists, but the node asked for cannot be reached (no such ordinal, no pod, no IP). */
export class NodeUnavailableError extends Error {
  override readonly name = "NodeUnavailableError";
}
