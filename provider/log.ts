// One logger for the engine and both front doors: JSON lines (pino), with credentials redacted
// by key wherever they appear, so a password or token handed to a log call never reaches output.
import pino from "pino";

export type Logger = pino.Logger;

const SECRET_KEYS = ["password", "rpcPassword", "rpcpass", "token", "authorization", "Authorization", "kubeconfig", "auth"];

export function createLogger(name: string, level = process.env.REGNET_LOG_LEVEL ?? "info"): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`), ...SECRET_KEYS.map((k) => `*.*.${k}`)],
      censor: "[redacted]",
    },
  });
}

/** A logger that writes nowhere: the default for library calls that were given none. */
export const silentLogger: Logger = pino({ level: "silent" });
