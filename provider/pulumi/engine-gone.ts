// A provider process whose Pulumi CLI is gone (killed with SIGKILL, its terminal closed, a CI job
// cancelled) must end too. The CLI holds the read end of the provider's stderr, so the next progress
// line fails with EPIPE. Node reports that as an 'error' event on process.stderr; unheard, it reaches
// the dynamic-provider host's uncaughtException handler, which logs it with console.error, to the
// same broken pipe, and so on for ever. A provider orphaned this way was seen in CI spinning for
// 15 minutes and holding 1.3 GB (725,000 EPIPE errors kept in the host's set of uncaught errors).

/** SIGPIPE's exit status: a C program writing to a closed pipe is stopped by that signal. */
export const EXIT_ENGINE_GONE = 128 + 13;

/** Called once, when the provider's cluster calls are loaded: ends the process when stderr's reader is gone. */
export function exitWhenEngineGone(): void {
  process.stderr.on("error", (err: NodeJS.ErrnoException) => {
    // Any other error is thrown as if unheard, so the host's handler reports it as before.
    if (err.code !== "EPIPE") throw err;
    process.exit(EXIT_ENGINE_GONE); // nothing is left to report to; the next `up` adopts a pending create
  });
}
