// A pod's volumes, made as folders under the pod's state dir (emptyDir, Secret, ConfigMap,
// downwardAPI, projected with a real TokenRequest bound to the pod; claims are the provisioner's
// folders), and the host mount points
// they are bind-mounted onto inside each container's private mount namespace.
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { ConfigError, fieldRefValue, type RefReader } from "./env";
import type { Logger } from "../../provider/log";
import { claimPath } from "./provisioner";
import { metrics } from "./metrics";

export interface VolumeContext {
  pod: k8s.V1Pod;
  podIP: string;
  hostIP: string;
  dir: string; // <pod state dir>/volumes
  refs: RefReader;
  core: k8s.CoreV1Api;
  log: Logger;
}

/** Writes a file atomically (rename), so a process never reads half of a refreshed token. */
function writeAtomic(file: string, content: string | Buffer, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content, { mode });
  fs.renameSync(tmp, file);
}

function writeKeys(
  dir: string,
  data: Record<string, string | Buffer>,
  items: k8s.V1KeyToPath[] | undefined,
  defaultMode: number,
  what: string,
): void {
  if (items && items.length > 0) {
    for (const it of items) {
      if (!(it.key in data)) throw new ConfigError(`key "${it.key}" not found in ${what}`);
      writeAtomic(path.join(dir, it.path), data[it.key], it.mode ?? defaultMode);
    }
    return;
  }
  for (const [k, v] of Object.entries(data)) writeAtomic(path.join(dir, k), v, defaultMode);
}

/**
 * Materializes every volume of the pod; returns volume name -> host folder, and a stop function
 * for the token refreshers. Throws ConfigError naming the missing object.
 */
export async function prepareVolumes(ctx: VolumeContext): Promise<{ paths: Map<string, string>; stop: () => void }> {
  const paths = new Map<string, string>();
  const timers: NodeJS.Timeout[] = [];
  const ns = ctx.pod.metadata!.namespace!;
  for (const v of ctx.pod.spec?.volumes ?? []) {
    if (v.hostPath) {
      paths.set(v.name, v.hostPath.path);
      continue;
    }
    if (v.persistentVolumeClaim) {
      const p = await claimPath(ctx.core, ns, v.persistentVolumeClaim.claimName);
      if (!p)
        throw new ConfigError(
          `persistentVolumeClaim "${v.persistentVolumeClaim.claimName}" is not bound to a sandbox volume (volume ${v.name})`,
        );
      paths.set(v.name, p);
      continue;
    }
    const dir = path.join(ctx.dir, v.name);
    fs.mkdirSync(dir, { recursive: true });
    paths.set(v.name, dir);
    if (v.emptyDir) continue;
    if (v.secret) {
      const data = await ctx.refs.secret(ns, v.secret.secretName!);
      if (!data) {
        if (v.secret.optional) continue;
        throw new ConfigError(`secret "${v.secret.secretName}" not found (volume ${v.name})`);
      }
      writeKeys(dir, data, v.secret.items, v.secret.defaultMode ?? 0o644, `secret "${v.secret.secretName}"`);
    } else if (v.configMap) {
      const data = await ctx.refs.configMap(ns, v.configMap.name!);
      if (!data) {
        if (v.configMap.optional) continue;
        throw new ConfigError(`configmap "${v.configMap.name}" not found (volume ${v.name})`);
      }
      writeKeys(dir, data, v.configMap.items, v.configMap.defaultMode ?? 0o644, `configmap "${v.configMap.name}"`);
    } else if (v.downwardAPI) {
      for (const it of v.downwardAPI.items ?? []) {
        if (it.fieldRef)
          writeAtomic(path.join(dir, it.path), fieldRefValue(ctx.pod, it.fieldRef.fieldPath, ctx.podIP, ctx.hostIP), it.mode ?? 0o644);
      }
    } else if (v.projected) {
      const mode = v.projected.defaultMode ?? 0o644;
      for (const src of v.projected.sources ?? []) {
        if (src.serviceAccountToken) {
          const t = src.serviceAccountToken;
          const refresh = async (): Promise<void> => {
            const expiresIn = await writeToken(ctx, path.join(dir, t.path), t, mode);
            // As the kubelet does: renew at 80% of the token's life.
            const timer = setTimeout(
              () => {
                refresh().catch((err) => ctx.log.warn({ err: String(err), pod: ctx.pod.metadata?.name }, "token refresh failed"));
              },
              Math.max(10, expiresIn * 0.8) * 1000,
            );
            timer.unref();
            timers.push(timer);
          };
          await refresh();
        } else if (src.configMap) {
          const data = await ctx.refs.configMap(ns, src.configMap.name!);
          if (!data) {
            if (src.configMap.optional) continue;
            throw new ConfigError(`configmap "${src.configMap.name}" not found (volume ${v.name})`);
          }
          writeKeys(dir, data, src.configMap.items, mode, `configmap "${src.configMap.name}"`);
        } else if (src.secret) {
          const data = await ctx.refs.secret(ns, src.secret.name!);
          if (!data) {
            if (src.secret.optional) continue;
            throw new ConfigError(`secret "${src.secret.name}" not found (volume ${v.name})`);
          }
          writeKeys(dir, data, src.secret.items, mode, `secret "${src.secret.name}"`);
        } else if (src.downwardAPI) {
          for (const it of src.downwardAPI.items ?? []) {
            if (it.fieldRef)
              writeAtomic(path.join(dir, it.path), fieldRefValue(ctx.pod, it.fieldRef.fieldPath, ctx.podIP, ctx.hostIP), it.mode ?? mode);
          }
        }
      }
    } else {
      throw new ConfigError(
        `volume "${v.name}": only emptyDir, hostPath, persistentVolumeClaim, secret, configMap, downwardAPI and projected volumes run in the sandbox`,
      );
    }
  }
  return { paths, stop: () => timers.forEach((t) => clearTimeout(t)) };
}

/** A TokenRequest bound to the pod (so it dies with it), written to `file`; returns its lifetime (s). */
async function writeToken(ctx: VolumeContext, file: string, src: k8s.V1ServiceAccountTokenProjection, mode: number): Promise<number> {
  const pod = ctx.pod;
  const tr = await metrics.time("create token", () =>
    ctx.core.createNamespacedServiceAccountToken({
      name: pod.spec?.serviceAccountName || "default",
      namespace: pod.metadata!.namespace!,
      body: {
        spec: {
          audiences: src.audience ? [src.audience] : [],
          expirationSeconds: src.expirationSeconds ?? 3607,
          boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod.metadata!.name!, uid: pod.metadata!.uid! },
        },
      },
    }),
  );
  if (!tr.status?.token) throw new Error(`TokenRequest for service account ${pod.spec?.serviceAccountName || "default"} returned no token`);
  writeAtomic(file, tr.status.token, mode);
  const expiry = tr.status?.expirationTimestamp ? new Date(tr.status.expirationTimestamp).getTime() : Date.now() + 3600_000;
  return Math.max(60, (expiry - Date.now()) / 1000);
}

export interface BindMount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** The bind mounts of one container (its volumeMounts only), resolved to host folders/files. */
export function containerMounts(container: k8s.V1Container, volumes: Map<string, string>): BindMount[] {
  return (container.volumeMounts ?? []).map((m) => {
    const base = volumes.get(m.name);
    if (base === undefined) throw new ConfigError(`volumeMount "${m.name}" of container ${container.name} names no volume of the pod`);
    let source = base;
    if (m.subPath) {
      source = path.join(base, m.subPath);
      if (!fs.existsSync(source)) fs.mkdirSync(source, { recursive: true });
    }
    return { source, target: m.mountPath, readOnly: m.readOnly ?? false };
  });
}

/**
 * Mount points that had to be made on the host for mountPaths that do not exist there (e.g.
 * /var/run/secrets/kubernetes.io/serviceaccount). Counted per user; the folders this runner made
 * are removed, deepest first, once nothing uses them: not its own pods, and no mount in any mount
 * namespace on the machine (another sandbox's pods may mount there too; removing a folder that is
 * a mount point elsewhere would detach that mount). Made folders are recorded in `recordFile`, so
 * a runner that was killed has its leftovers swept by the next one.
 */
export class MountPoints {
  private readonly created = new Map<string, number>(); // top-most folder made -> users

  constructor(private readonly recordFile?: string) {}

  /** Removes what a previous runner recorded and left, where nothing mounts there any more. */
  sweep(): void {
    for (const p of this.recorded()) removeUnlessMounted(p);
    this.save();
  }

  /** Makes `target` (a folder, or an empty file when `file`), returns a release function. */
  ensure(target: string, file: boolean): () => void {
    const resolved = realPath(target);
    // A folder made earlier that contains this target owns it too: it goes only when both are done.
    const earlier = [...this.created.keys()].find((c) => resolved === c || resolved.startsWith(c + path.sep));
    let top: string | undefined;
    let p = resolved;
    while (!fs.existsSync(p)) {
      top = p;
      p = path.dirname(p);
    }
    if (file) {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      if (!fs.existsSync(target)) fs.writeFileSync(target, "");
    } else {
      fs.mkdirSync(target, { recursive: true });
    }
    const owner = earlier ?? top;
    if (!owner) return () => undefined;
    this.created.set(owner, (this.created.get(owner) ?? 0) + 1);
    if (!earlier) this.save();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.created.get(owner) ?? 1) - 1;
      if (n > 0) {
        this.created.set(owner, n);
        return;
      }
      this.created.delete(owner);
      removeUnlessMounted(owner);
      this.save();
    };
  }

  releaseAll(): void {
    for (const owner of this.created.keys()) removeUnlessMounted(owner);
    this.created.clear();
    this.save();
  }

  private recorded(): string[] {
    if (!this.recordFile) return [];
    try {
      return JSON.parse(fs.readFileSync(this.recordFile, "utf8")) as string[];
    } catch {
      return [];
    }
  }

  /** What this runner made and has not removed (still there after removal: someone mounts it). */
  private save(): void {
    if (!this.recordFile) return;
    const keep = [...new Set([...this.created.keys(), ...this.recorded()])].filter((p) => fs.existsSync(p));
    fs.writeFileSync(this.recordFile, JSON.stringify(keep));
  }
}

/** Every mount point in every mount namespace on this machine (from /proc/<pid>/mountinfo). */
function mountPointsEverywhere(): Set<string> {
  const points = new Set<string>();
  const seen = new Set<string>();
  for (const pid of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const ns = fs.readlinkSync(`/proc/${pid}/ns/mnt`);
      if (seen.has(ns)) continue;
      seen.add(ns);
      for (const line of fs.readFileSync(`/proc/${pid}/mountinfo`, "utf8").split("\n")) {
        const mp = line.split(" ")[4];
        if (mp) points.add(mp.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
      }
    } catch {
      // the process ended meanwhile
    }
  }
  return points;
}

/**
 * `target` with the symlinks of its existing part resolved, as /proc/<pid>/mountinfo names mount
 * points: `/var/run` is a link to `/run`, and a folder recorded as /var/run/... would never match
 * another sandbox's mounts at /run/... — and would be removed from under them.
 */
function realPath(target: string): string {
  let existing = path.resolve(target);
  const rest: string[] = [];
  while (!fs.existsSync(existing)) {
    rest.unshift(path.basename(existing));
    existing = path.dirname(existing);
  }
  return path.join(fs.realpathSync(existing), ...rest);
}

function removeUnlessMounted(p: string): void {
  const mounts = mountPointsEverywhere();
  if ([...mounts].some((m) => m === p || m.startsWith(p + path.sep))) return;
  removeIfOnlyEmptyFolders(p);
}

/** Removes `p` if it holds nothing but empty folders/files this runner made as mount points. */
function removeIfOnlyEmptyFolders(p: string): void {
  try {
    const st = fs.lstatSync(p);
    if (st.isFile() && st.size === 0) return fs.unlinkSync(p);
    if (!st.isDirectory()) return;
    for (const e of fs.readdirSync(p)) removeIfOnlyEmptyFolders(path.join(p, e));
    fs.rmdirSync(p);
  } catch {
    // Something else lives there now: leave it.
  }
}
