// One logger for the engine and both front doors: JSON lines (pino), with credentials redacted
// by key wherever they appear, so a password or token handed to a log call never reaches output.
import pino from "pino";

export type Logger = pino.Logger;

const SECRET_KEYS = ["password", "rpcPassword", "rpcpass", "token", "authorization", "Authorization", "kubeconfig", "auth"];

export interface LoggerOptions {
  level?: string;
  /** A file to append to instead of stdout (the Pulumi provider: the CLI shows provider stdout as diagnostics). */
  file?: string;
  /** Write to stderr instead of stdout (the `regnet` command: stdout is its output). */
  stderr?: boolean;
}

export function createLogger(name: string, { level = process.env.REGNET_LOG_LEVEL ?? "info", file, stderr }: LoggerOptions = {}): Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    redact: {
      paths: [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`), ...SECRET_KEYS.map((k) => `*.*.${k}`)],
      censor: "[redacted]",
    },
  };
  if (file) return pino(options, pino.destination({ dest: file, sync: true, mkdir: true }));
  return stderr ? pino(options, pino.destination({ dest: 2, sync: true })) : pino(options);
}

/** A logger that writes nowhere: the default for library calls that were given none. */
export const silentLogger: Logger = pino({ level: "silent" });
