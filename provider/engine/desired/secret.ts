// The credentials Secret: what the nodes, their probes and regnet's RPC client read. Built from a
// credential set (generated once, when the Secret is missing) and read back with readCredentials.
import * as crypto from "node:crypto";
import type { V1Secret } from "@kubernetes/client-node";
import type { BitcoinNetworkSpec } from "../../spec";
import type { NetworkCredentials } from "../credentials";
import type { NetworkRef } from "../types";
import { RPC_PORTS } from "../../spec/constants";
import { RPC_MOUNT, SECRET_KEYS, objectMeta, rpcSecretName } from "./common";

/** Files and values of the Secret, as text. */
export function secretFiles(spec: Pick<BitcoinNetworkSpec, "implementation">, creds: NetworkCredentials): Record<string, string> {
  const files: Record<string, string> = {
    [SECRET_KEYS.user]: creds.user,
    [SECRET_KEYS.password]: creds.password,
  };
  if (spec.implementation === "bitcoin-core") {
    files[SECRET_KEYS.rpcauth] = creds.rpcauth;
    // Top-level options apply to every chain; rpcport is left to regtest's default (18443).
    files[SECRET_KEYS.cliConf] = ["regtest=1", `rpcconnect=127.0.0.1`, `rpcuser=${creds.user}`, `rpcpassword=${creds.password}`, ""].join(
      "\n",
    );
    return files;
  }
  if (!creds.tlsCert || !creds.tlsKey) throw new Error("btcd credentials need a TLS certificate and key");
  // btcd reads rpcuser/rpcpass from its config file, so the password is in neither args nor env.
  files[SECRET_KEYS.btcdConf] = [`rpcuser=${creds.user}`, `rpcpass=${creds.password}`, ""].join("\n");
  files[SECRET_KEYS.btcctlConf] = [
    "regtest=1",
    `rpcserver=127.0.0.1:${RPC_PORTS["btcd"]}`,
    `rpccert=${RPC_MOUNT}/${SECRET_KEYS.tlsCert}`,
    `rpcuser=${creds.user}`,
    `rpcpass=${creds.password}`,
    "",
  ].join("\n");
  files[SECRET_KEYS.tlsCert] = creds.tlsCert;
  files[SECRET_KEYS.tlsKey] = creds.tlsKey;
  return files;
}

/** `name`: the network's RPC Secret by default; rpcConfigSecretName(ref) for one derived from a user's. */
export function buildSecret(
  ref: NetworkRef,
  spec: BitcoinNetworkSpec,
  creds: NetworkCredentials,
  name = rpcSecretName(ref, spec),
): V1Secret {
  const data = Object.fromEntries(Object.entries(secretFiles(spec, creds)).map(([k, v]) => [k, Buffer.from(v, "utf8").toString("base64")]));
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: objectMeta(ref, name),
    type: "Opaque",
    data,
  };
}

/** The credential keys a Secret holds, each absent when the key is missing. */
export function secretCredentials(secret: Pick<V1Secret, "data">): Partial<NetworkCredentials> {
  const get = (k: string) => (secret.data?.[k] !== undefined ? Buffer.from(secret.data[k], "base64").toString("utf8") : undefined);
  return {
    user: get(SECRET_KEYS.user),
    password: get(SECRET_KEYS.password),
    rpcauth: get(SECRET_KEYS.rpcauth),
    tlsCert: get(SECRET_KEYS.tlsCert),
    tlsKey: get(SECRET_KEYS.tlsKey),
  };
}

/** Reads the credentials back from a Secret's base64 `data`; undefined when a required key is missing. */
export function readCredentials(secret: Pick<V1Secret, "data">): NetworkCredentials | undefined {
  const { user, password, rpcauth, tlsCert, tlsKey } = secretCredentials(secret);
  if (!user || !password) return undefined;
  return { user, password, rpcauth: rpcauth ?? "", tlsCert, tlsKey };
}

/** A short hash of the Secret's data: the pod-template annotation that rolls pods when it changes. */
export function secretHash(secret: Pick<V1Secret, "data">): string {
  const h = crypto.createHash("sha256");
  for (const k of Object.keys(secret.data ?? {}).sort()) h.update(k).update("\0").update(secret.data![k]).update("\0");
  return h.digest("hex").slice(0, 16);
}
