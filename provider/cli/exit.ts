// Exit codes scripts can rely on (README "Using a network"), and the errors that carry them.

export const EXIT = {
  /** Done. */
  ok: 0,
  /** Something failed: the cluster, a node, an RPC error, a network or node that is not there. */
  failure: 1,
  /** The command line is wrong (unknown command or option, a bad argument): nothing was done. */
  usage: 2,
  /** `wait` (and `mine`'s wait for the new tip) ran out of time: the network is not there yet. */
  notReady: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line and exits with `code`. */
export class CliError extends Error {
  override readonly name: string = "CliError";
  constructor(
    message: string,
    readonly code: ExitCode = EXIT.failure,
  ) {
    super(message);
  }
}

/** A bad argument or option: names it and the fix; exit 2. */
export class UsageError extends CliError {
  override readonly name = "UsageError";
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** A condition not reached in time; exit 3. */
export class NotReadyError extends CliError {
  override readonly name = "NotReadyError";
  constructor(message: string) {
    super(message, EXIT.notReady);
  }
}
