// Where a command writes, and how it learns to stop: the process's stdout/stderr and a signal aborted
// by Ctrl-C/SIGTERM in real use; buffers and a controller of their own in tests.

interface Output {
  write(chunk: string | Uint8Array): unknown;
}

export interface Io {
  /** The command's output (tables, JSON, RPC results, logs, a picture sent to `-`). */
  out: Output;
  /** Progress, notes and errors. */
  err: Output;
  /** stdout is a terminal: `status --watch` redraws in place. */
  isTTY: boolean;
  /** Aborted when the user stops the command (`--watch`, `logs -f`, `wait`). */
  signal: AbortSignal;
}

/** Resolves after `ms`, or at once when `signal` is aborted. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
