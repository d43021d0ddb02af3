// A container's log through the API server (what `kubectl logs [-f]` reads), streamed to `out`.
import { PassThrough } from "node:stream";
import * as k8s from "@kubernetes/client-node";
import { isNotFound } from "./objects";
import { errorText } from "./errors";

export interface LogRequest {
  namespace: string;
  pod: string;
  container: string;
  follow?: boolean;
  tailLines?: number;
  previous?: boolean;
}

/** The pod or container asked for is not there; the message says what is. */
export class LogTargetError extends Error {
  override readonly name = "LogTargetError";
}

/**
 * Streams the log to `out` until it ends (without `follow`: at once; with it: when the container
 * stops or `signal` is aborted). The pod and container are checked first, so a wrong one is
 * named with what exists instead of the API server's bare 400/404.
 */
export async function streamLog(
  kc: k8s.KubeConfig,
  req: LogRequest,
  out: { write(chunk: Uint8Array): unknown },
  signal?: AbortSignal,
): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const pod = await core.readNamespacedPod({ name: req.pod, namespace: req.namespace }).catch((err: unknown) => {
    if (isNotFound(err)) throw new LogTargetError(`pod ${req.namespace}/${req.pod} does not exist`);
    throw err;
  });
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  if (!containers.includes(req.container)) {
    throw new LogTargetError(`pod ${req.namespace}/${req.pod} has no container "${req.container}"; it has ${containers.join(", ")}`);
  }
  const sink = new PassThrough();
  sink.on("data", (chunk: Uint8Array) => out.write(chunk));
  let stopped = false;
  // The HTTP body is piped into `sink` by client-node; aborting the request makes that body emit an
  // AbortError nobody listens to (an uncaught exception), so listen to it here.
  sink.on("pipe", (body: NodeJS.ReadableStream) => body.on("error", (err: Error) => (stopped ? undefined : sink.destroy(err))));
  let finish: () => void = () => undefined;
  const ended = new Promise<void>((resolve, reject) => {
    finish = resolve;
    sink.on("end", resolve);
    sink.on("close", resolve);
    sink.on("error", reject);
  });
  const opts: k8s.LogOptions = { follow: !!req.follow, previous: !!req.previous };
  if (req.tailLines !== undefined) opts.tailLines = req.tailLines;
  let abort: AbortController;
  try {
    abort = await new k8s.Log(kc).log(req.namespace, req.pod, req.container, sink, opts);
  } catch (err) {
    throw new LogTargetError(`reading the log of ${req.namespace}/${req.pod} (container ${req.container}) failed: ${errorText(err)}`);
  }
  const stop = () => {
    stopped = true;
    abort.abort();
    finish();
  };
  signal?.addEventListener("abort", stop, { once: true });
  try {
    await ended;
  } finally {
    signal?.removeEventListener("abort", stop);
  }
}
