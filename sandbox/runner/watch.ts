// Informers stop when their watch fails (an API server restart, a network blip); this brings them back.
import type { Logger } from "../../provider/log";

/** Restarts a stopped informer (the API server may be briefly away), every second until it runs. */
export function restartUntilUp(informer: { start(): Promise<void> }, stopping: () => boolean, log: Logger): void {
  setTimeout(() => {
    if (stopping()) return;
    informer.start().catch((err) => {
      log.warn({ error: String(err) }, "watch restart failed; retrying");
      restartUntilUp(informer, stopping, log);
    });
  }, 1000);
}
