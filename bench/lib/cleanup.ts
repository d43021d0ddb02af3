// What must be undone however the bench ends (error, Ctrl-C): processes it started, namespaces, a
// bridge, networks it created. Each part registers its undo and removes it once done itself.
type Undo = () => Promise<void> | void;
const pending = new Map<number, { what: string; undo: Undo }>();
let next = 1;

/** Registers `undo`; the returned function runs it (once) and unregisters it. */
export function defer(what: string, undo: Undo): () => Promise<void> {
  const id = next++;
  pending.set(id, { what, undo });
  return async () => {
    if (!pending.delete(id)) return;
    await undo();
  };
}

/** Runs every pending undo, newest first; errors are reported, not thrown. */
export async function undoAll(say: (line: string) => void): Promise<void> {
  for (const [id, { what, undo }] of [...pending].reverse()) {
    pending.delete(id);
    say(`cleaning up: ${what}`);
    try {
      await undo();
    } catch (err) {
      say(`cleaning up ${what} failed: ${(err as Error).message}`);
    }
  }
}
