// Names and paths shared by the desired-state builders (and by the engine's I/O half, which must
// agree with them: the Secret keys it reads). Ports are the spec's (spec/constants.ts).
import type { BitcoinNetworkSpec } from "../../spec";
import type { V1ObjectMeta } from "@kubernetes/client-node";
import { networkLabels, ownerReferences } from "../labels";
import type { NetworkRef } from "../types";

/** Where the Secret is mounted in node containers, and the data directory. */
export const RPC_MOUNT = "/etc/regnet/rpc";
export const DATA_DIR = "/data";

/** Keys of the credentials Secret. */
export const SECRET_KEYS = {
  user: "user",
  password: "password",
  rpcauth: "rpcauth",
  /** bitcoin-cli config (Core). */
  cliConf: "cli.conf",
  /** btcd's own config file (rpcuser/rpcpass), passed with --configfile. */
  btcdConf: "btcd.conf",
  /** btcctl config for probes and the miner. */
  btcctlConf: "btcctl.conf",
  tlsCert: "tls.crt",
  tlsKey: "tls.key",
} as const;

/** Pod-template annotation holding a hash of the Secret's data, so new credentials roll the pods. */
export const CONFIG_HASH_ANNOTATION = "regnet.dev/config-hash";

/** Unspendable regtest address (Bitcoin Core's tests use it): mining needs no wallet. */
export const MINING_ADDRESS = "bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq3xueyj";

export function rpcSecretName(ref: Pick<NetworkRef, "name">, spec: Pick<BitcoinNetworkSpec, "rpc">): string {
  return spec.rpc?.secretName ?? `${ref.name}-rpc`;
}

/**
 * `<network>-rpc-config`: when spec.rpc.secretName names a Secret of the user's (regnet neither owns
 * nor writes it), the files the nodes mount (Core's -rpcauth line and bitcoin-cli config, btcd's and
 * btcctl's configs) are derived from its user/password into this Secret, which regnet owns.
 */
export function rpcConfigSecretName(ref: Pick<NetworkRef, "name">): string {
  return `${ref.name}-rpc-config`;
}

/** `<network>-<ordinal>`: StatefulSet pod names. */
export function podName(network: string, ordinal: number): string {
  return `${network}-${ordinal}`;
}

/** The ordinal of a StatefulSet pod of this network, or undefined if the name is not one. */
export function ordinalOf(network: string, pod: string): number | undefined {
  const m = /^(\d+)$/.exec(pod.startsWith(`${network}-`) ? pod.slice(network.length + 1) : "");
  return m ? Number(m[1]) : undefined;
}

export function objectMeta(ref: NetworkRef, name: string): V1ObjectMeta {
  const meta: V1ObjectMeta = { name, namespace: ref.namespace, labels: networkLabels(ref.name) };
  const owners = ownerReferences(ref);
  if (owners) meta.ownerReferences = owners;
  return meta;
}
