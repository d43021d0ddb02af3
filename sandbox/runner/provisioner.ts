// PersistentVolumeClaims on the sandbox: the runner provisions each pending claim with a hostPath
// PersistentVolume under its state dir, pre-bound to the claim (the controller-manager's PV
// controller then binds them, and the scheduler places the pod), and removes volume and data when
// the claim goes. So a StatefulSet with volumeClaimTemplates runs here unchanged, and its data
// outlives pod restarts and deletions as on a real cluster.
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import type { Logger } from "../../provider/log";
import { restartUntilUp } from "./watch";

const MANAGED_BY = { "app.kubernetes.io/managed-by": "regnet-node-runner" };

function pvName(claimUid: string): string {
  return `regnet-pv-${claimUid}`;
}

export class LocalProvisioner {
  private informer?: k8s.ListWatch<k8s.V1PersistentVolumeClaim>;
  private stopping = false;

  constructor(
    private readonly kc: k8s.KubeConfig,
    private readonly core: k8s.CoreV1Api,
    private readonly dir: string, // <state dir>/volumes
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    const informer = new k8s.ListWatch<k8s.V1PersistentVolumeClaim>(
      "/api/v1/persistentvolumeclaims",
      new k8s.Watch(this.kc),
      () => this.core.listPersistentVolumeClaimForAllNamespaces(),
      false,
    );
    this.informer = informer;
    const ensure = (pvc: k8s.V1PersistentVolumeClaim): void => {
      if (!pvc.spec?.volumeName && !pvc.metadata?.deletionTimestamp) {
        this.provision(pvc).catch((err) => this.log.warn({ claim: ref(pvc), error: String(err) }, "provisioning failed"));
      }
    };
    informer.on(k8s.ADD, ensure);
    informer.on(k8s.UPDATE, ensure);
    informer.on(k8s.DELETE, (pvc) => void this.release(pvc.metadata!.uid!));
    informer.on(k8s.ERROR, (err) => {
      this.log.warn({ error: String(err) }, "claim watch failed; restarting");
      restartUntilUp(informer, () => this.stopping, this.log);
    });
    await informer.start();
    await this.releaseOrphans();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.informer?.stop();
  }

  private async provision(pvc: k8s.V1PersistentVolumeClaim): Promise<void> {
    const uid = pvc.metadata!.uid!;
    const hostPath = path.join(this.dir, uid);
    fs.mkdirSync(hostPath, { recursive: true });
    const size = pvc.spec?.resources?.requests?.storage ?? "1Gi";
    try {
      await this.core.createPersistentVolume({
        body: {
          metadata: { name: pvName(uid), labels: MANAGED_BY },
          spec: {
            capacity: { storage: size },
            accessModes: pvc.spec?.accessModes ?? ["ReadWriteOnce"],
            persistentVolumeReclaimPolicy: "Retain",
            storageClassName: pvc.spec?.storageClassName ?? "",
            volumeMode: pvc.spec?.volumeMode ?? "Filesystem",
            hostPath: { path: hostPath, type: "Directory" },
            claimRef: {
              apiVersion: "v1",
              kind: "PersistentVolumeClaim",
              namespace: pvc.metadata!.namespace,
              name: pvc.metadata!.name,
              uid,
            },
          },
        },
      });
      this.log.info({ claim: ref(pvc), volume: pvName(uid), size }, "claim provisioned");
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }

  /** The claim is gone: its volume and data go too (regtest data is disposable). */
  private async release(claimUid: string): Promise<void> {
    await this.core.deletePersistentVolume({ name: pvName(claimUid) }).catch(() => undefined);
    fs.rmSync(path.join(this.dir, claimUid), { recursive: true, force: true });
    this.log.info({ volume: pvName(claimUid) }, "volume released");
  }

  /** Volumes (and data folders) whose claims went while the runner was not running, or with an old cluster. */
  private async releaseOrphans(): Promise<void> {
    const live = new Set(this.informer!.list().map((c) => c.metadata!.uid!));
    const pvs = await this.core.listPersistentVolume({ labelSelector: "app.kubernetes.io/managed-by=regnet-node-runner" });
    for (const pv of pvs.items) {
      const uid = pv.spec?.claimRef?.uid;
      if (uid && !live.has(uid)) await this.release(uid);
    }
    // Claims seen since the list above have their folders made by now: read the cache again.
    const current = new Set(this.informer!.list().map((c) => c.metadata!.uid!));
    for (const d of fs.readdirSync(this.dir)) {
      if (!current.has(d)) fs.rmSync(path.join(this.dir, d), { recursive: true, force: true });
    }
  }
}

function ref(pvc: k8s.V1PersistentVolumeClaim): string {
  return `${pvc.metadata?.namespace}/${pvc.metadata?.name}`;
}

/** The host folder of a claim a pod mounts (a hostPath volume this provisioner made). */
export async function claimPath(core: k8s.CoreV1Api, namespace: string, claimName: string): Promise<string | undefined> {
  const pvc = await core.readNamespacedPersistentVolumeClaim({ name: claimName, namespace }).catch(() => undefined);
  if (!pvc?.spec?.volumeName) return undefined;
  const pv = await core.readPersistentVolume({ name: pvc.spec.volumeName }).catch(() => undefined);
  return pv?.spec?.hostPath?.path;
}
