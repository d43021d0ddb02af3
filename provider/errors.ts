// The one-line text of anything thrown (Error or not), for logs, status and change lists.
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
