// The StatefulSet that runs a network's nodes. Pods start in parallel (peers are wired by regnet
// over RPC afterwards, not by start order), listen on all of the pod's addresses, keep caches small,
// and report ready only after an authenticated RPC call succeeds. No password appears in the pod
// spec or in a process's argv: Bitcoin Core gets the salted -rpcauth hash, btcd reads its
// credentials from a config file mounted from the Secret. Pods meet Pod Security "restricted": they
// run as the image's non-root user, and fsGroup makes the data volume theirs.
import type {
  V1Container,
  V1EnvVar,
  V1PersistentVolumeClaim,
  V1PodSecurityContext,
  V1Probe,
  V1ResourceRequirements,
  V1SecurityContext,
  V1StatefulSet,
  V1Volume,
} from "@kubernetes/client-node";
import type { BitcoinNetworkSpec, Implementation } from "../../spec";
import { networkLabels, selectorLabels } from "../labels";
import type { NetworkRef } from "../types";
import { P2P_PORT, RPC_PORTS } from "../../spec/constants";
import {
  CONFIG_HASH_ANNOTATION,
  DATA_DIR,
  MINING_ADDRESS,
  NODE_CONTAINER,
  RPC_MOUNT,
  SECRET_KEYS,
  objectMeta,
  rpcSecretName,
} from "./common";

export interface StatefulSetInputs {
  /** secretHash() of the Secret the pods mount: a change rolls the pods. */
  configHash: string;
  /** The Secret the pods mount: the network's RPC Secret by default, or the one regnet derived
   * from a user's Secret (rpcConfigSecretName). */
  secretName?: string;
}

const RPC_VOLUME = "rpc";
const DATA_VOLUME = "data";

/** Small defaults: a regtest node needs little (idle btcd ≈ 24 MB with the caches below). */
const DEFAULT_RESOURCES: Record<Implementation, V1ResourceRequirements> = {
  btcd: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
  "bitcoin-core": { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
};
/**
 * The uid (and gid) the node runs as: the user of the default images. bitcoin/bitcoin creates
 * `bitcoin` as 101:101 (its Dockerfile's useradd; its entrypoint would drop to it, but `command`
 * bypasses the entrypoint). ghcr.io/regnet-dev/btcd, ours, runs btcd as 1000:1000. Another image
 * runs under the same ids: the data volume is writable through fsGroup whoever owns the image's files.
 */
const NODE_UID: Record<Implementation, number> = { "bitcoin-core": 101, btcd: 1000 };

function podSecurityContext(implementation: Implementation): V1PodSecurityContext {
  const id = NODE_UID[implementation];
  return { runAsNonRoot: true, runAsUser: id, runAsGroup: id, fsGroup: id, seccompProfile: { type: "RuntimeDefault" } };
}

const containerSecurityContext = (): V1SecurityContext => ({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });

const MINER_RESOURCES: V1ResourceRequirements = { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } };

/** The node's command line (without the program), per implementation, with extraArgs last. */
export function nodeArgs(spec: Pick<BitcoinNetworkSpec, "implementation" | "extraArgs">): string[] {
  const base =
    spec.implementation === "btcd"
      ? [
          "--regtest",
          // btcd needs its config file to exist; ours holds rpcuser/rpcpass, so no secret is in argv.
          `--configfile=${RPC_MOUNT}/${SECRET_KEYS.btcdConf}`,
          `--datadir=${DATA_DIR}/data`,
          `--logdir=${DATA_DIR}/logs`,
          `--listen=0.0.0.0:${P2P_PORT}`,
          `--rpclisten=0.0.0.0:${RPC_PORTS["btcd"]}`,
          `--rpccert=${RPC_MOUNT}/${SECRET_KEYS.tlsCert}`,
          `--rpckey=${RPC_MOUNT}/${SECRET_KEYS.tlsKey}`,
          "--utxocachemaxsize=8",
          "--sigcachemaxsize=1000",
          // `generate` (bootstrap and interval mining) works only with a mining address.
          `--miningaddr=${MINING_ADDRESS}`,
        ]
      : [
          "-regtest",
          `-datadir=${DATA_DIR}`,
          "-server",
          "-listen=1",
          "-bind=0.0.0.0",
          "-rpcbind=0.0.0.0",
          "-rpcallowip=0.0.0.0/0",
          // Expanded by the kubelet from the Secret: a salted hash, not the password.
          "-rpcauth=$(RPC_AUTH)",
          "-printtoconsole",
          "-dbcache=16",
          "-fallbackfee=0.0002",
          // regnet wires the peers. Left on, the DNS seed lookup blocks shutdown until it returns:
          // where DNS is dropped (a pod with egress denied) a deleted pod is SIGKILLed after its
          // grace period before Core flushes its chain state.
          "-dnsseed=0",
        ];
  return [...base, ...spec.extraArgs];
}

/** An RPC client command run inside the node container, authenticated by the mounted config. */
function cliCommand(implementation: Implementation, ...rpc: string[]): string[] {
  return implementation === "btcd"
    ? ["btcctl", `--configfile=${RPC_MOUNT}/${SECRET_KEYS.btcctlConf}`, ...rpc]
    : ["bitcoin-cli", `-conf=${RPC_MOUNT}/${SECRET_KEYS.cliConf}`, ...rpc];
}

/**
 * Both probes ask the node over its own authenticated RPC (`getblockcount` through the mounted
 * client config): Ready means the engine can call it. An exec probe costs a process per pod per
 * period (a runtime exec on a real node, a fork in the sandbox), so the two are split as a kubelet
 * runs them: the startup probe asks every 2 s until the node first answers — the kubelet then runs
 * readiness at once, so Ready follows within 2 s of the RPC coming up, as before — and readiness
 * then asks every 10 s, not every 2 s: 10 execs/s at 100 pods instead of 50 once started. (A 1 s
 * startup period was measured: 100 execs/s while 100 btcd nodes start on 2 cores kept the
 * sandbox's runner seconds behind; Ready came later, not sooner.) The price: a node that stops
 * answering turns unready after 3 misses, 30 s, where it took 6 s (the engine, which calls every
 * Ready node on each pass, sees an unanswering node at once anyway). A node that never answers
 * within 10 minutes of starting is restarted.
 */
const probeCommand = (implementation: Implementation) => ({ command: cliCommand(implementation, "getblockcount") });

function startupProbe(implementation: Implementation): V1Probe {
  return { exec: probeCommand(implementation), initialDelaySeconds: 1, periodSeconds: 2, timeoutSeconds: 5, failureThreshold: 300 };
}

function readinessProbe(implementation: Implementation): V1Probe {
  return { exec: probeCommand(implementation), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 };
}

function toResources(spec: BitcoinNetworkSpec): V1ResourceRequirements {
  if (!spec.resources) return structuredClone(DEFAULT_RESOURCES[spec.implementation]);
  const side = (q?: { cpu?: string | number; memory?: string | number }) => {
    if (!q) return undefined;
    const out: Record<string, string> = {};
    if (q.cpu !== undefined) out.cpu = String(q.cpu);
    if (q.memory !== undefined) out.memory = String(q.memory);
    return out;
  };
  const r: V1ResourceRequirements = {};
  const requests = side(spec.resources.requests);
  const limits = side(spec.resources.limits);
  if (requests) r.requests = requests;
  if (limits) r.limits = limits;
  return r;
}

/** The interval miner: a sidecar that mines one block every N seconds, on ordinal 0 only. */
function minerContainer(spec: BitcoinNetworkSpec, intervalSeconds: number): V1Container {
  const mine =
    spec.implementation === "btcd"
      ? cliCommand("btcd", "generate", "1")
      : cliCommand("bitcoin-core", "generatetoaddress", "1", MINING_ADDRESS);
  // Every pod has the sidecar (one template); only the pod whose name ends in -0 mines. As PID 1 the
  // shell would ignore SIGTERM, so it traps it, and sleeps in the background so the trap runs at once.
  const script = [
    "trap 'exit 0' TERM INT",
    'case "$POD_NAME" in *-0) ;; *) while :; do sleep 3600 & wait $!; done ;; esac',
    `while :; do sleep ${intervalSeconds} & wait $!; ${mine.join(" ")} >/dev/null || echo "regnet miner: block not mined (node not ready?)" >&2; done`,
  ].join("\n");
  return {
    name: "miner",
    image: spec.image,
    command: ["sh", "-c", script],
    env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
    volumeMounts: [{ name: RPC_VOLUME, mountPath: RPC_MOUNT, readOnly: true }],
    resources: structuredClone(MINER_RESOURCES),
    terminationMessagePolicy: "FallbackToLogsOnError",
    securityContext: containerSecurityContext(),
  };
}

export function buildStatefulSet(ref: NetworkRef, spec: BitcoinNetworkSpec, inputs: StatefulSetInputs): V1StatefulSet {
  const secretName = inputs.secretName ?? rpcSecretName(ref, spec);
  const env: V1EnvVar[] =
    spec.implementation === "bitcoin-core"
      ? [{ name: "RPC_AUTH", valueFrom: { secretKeyRef: { name: secretName, key: SECRET_KEYS.rpcauth } } }]
      : // btcd makes $HOME/.btcd at start even with --datadir (and exits if it cannot); as a
        // non-root user whose home the runtime may set to "/", only the data volume is writable.
        [{ name: "HOME", value: DATA_DIR }];
  const node: V1Container = {
    name: NODE_CONTAINER,
    image: spec.image,
    command: [spec.implementation === "btcd" ? "btcd" : "bitcoind"],
    args: nodeArgs(spec),
    env,
    ports: [
      { name: "p2p", containerPort: P2P_PORT, protocol: "TCP" },
      { name: "rpc", containerPort: RPC_PORTS[spec.implementation], protocol: "TCP" },
    ],
    startupProbe: startupProbe(spec.implementation),
    readinessProbe: readinessProbe(spec.implementation),
    // A node that exits with an error (a flag it refuses, a full disk) leaves its last log lines in
    // its status, where regnet reads why it is not Ready (observe.ts nodeProblem).
    terminationMessagePolicy: "FallbackToLogsOnError",
    resources: toResources(spec),
    volumeMounts: [
      { name: RPC_VOLUME, mountPath: RPC_MOUNT, readOnly: true },
      { name: DATA_VOLUME, mountPath: DATA_DIR },
    ],
    securityContext: containerSecurityContext(),
  };
  const containers = [node];
  if (spec.mining.intervalSeconds !== undefined) containers.push(minerContainer(spec, spec.mining.intervalSeconds));

  const volumes: V1Volume[] = [
    // 0444: the images' processes may run as a non-root user that does not own the mounted files.
    { name: RPC_VOLUME, secret: { secretName, defaultMode: 0o444 } },
  ];
  let volumeClaimTemplates: V1PersistentVolumeClaim[] | undefined;
  if (spec.persistence) {
    volumeClaimTemplates = [
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: DATA_VOLUME, labels: networkLabels(ref.name) },
        spec: {
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: String(spec.persistence.size) } },
          ...(spec.persistence.storageClassName ? { storageClassName: spec.persistence.storageClassName } : {}),
        },
      },
    ];
  } else {
    volumes.push({ name: DATA_VOLUME, emptyDir: {} });
  }

  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: objectMeta(ref, ref.name),
    spec: {
      replicas: spec.nodes,
      serviceName: ref.name,
      podManagementPolicy: "Parallel",
      revisionHistoryLimit: 3,
      selector: { matchLabels: selectorLabels(ref.name) },
      ...(volumeClaimTemplates
        ? {
            volumeClaimTemplates,
            // A regtest chain is disposable: volumes go with the network or the scaled-away node.
            persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Delete" },
          }
        : {}),
      template: {
        metadata: {
          labels: networkLabels(ref.name),
          annotations: { [CONFIG_HASH_ANNOTATION]: inputs.configHash },
        },
        spec: {
          enableServiceLinks: false,
          // Nodes never call the API server: no token to mount (least privilege), and no
          // TokenRequest per pod start.
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 15,
          securityContext: podSecurityContext(spec.implementation),
          containers,
          volumes,
        },
      },
    },
  };
}
