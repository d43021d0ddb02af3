// What must be undone however the bench ends (error, Ctrl-C): processes it started, namespaces, a
// bridge, networks it created. Each part registers its undo and runs it itself once done; on Ctrl-C
// undoAll runs what is still registered. Either way an undo runs once, and whoever calls it while
// it runs waits for the same run (a part's `finally` must not see a half-done clean-up).
const pending = new Map<number, { what: string; run: () => Promise<void> }>();
let next = 1;

/** Registers `undo`; the returned function runs it (once; later calls wait for that run). */
export function defer(what: string, undo: () => Promise<void> | void): () => Promise<void> {
  const id = next++;
  let running: Promise<void> | undefined;
  const run = () =>
    (running ??= (async () => {
      try {
        await undo();
      } finally {
        pending.delete(id);
      }
    })());
  pending.set(id, { what, run });
  return run;
}

/** Runs every pending undo, newest first; errors are reported, not thrown. */
export async function undoAll(say: (line: string) => void): Promise<void> {
  for (const { what, run } of [...pending.values()].reverse()) {
    say(`cleaning up: ${what}`);
    try {
      await run();
    } catch (err) {
      say(`cleaning up ${what} failed: ${(err as Error).message}`);
    }
  }
}
