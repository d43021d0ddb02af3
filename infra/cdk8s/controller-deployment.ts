// The in-cluster controller: one replica (leader election makes a second one a warm standby, not
// a second writer), the ServiceAccount token mounted (it is how the controller reaches the API
// server), non-root with a read-only root filesystem, probed on /healthz and /readyz.
import { ApiObject, Duration, JsonPatch, Size } from "cdk8s";
import { Construct } from "constructs";
import * as kplus from "cdk8s-plus-28";
import {
  CONTROLLER_HTTP_PORT,
  CONTROLLER_UID,
  DEFAULT_CONTROLLER_NAME,
  DEFAULT_IMAGE_REPOSITORY,
  packageVersion,
  platformLabels,
} from "./defaults";

export interface ControllerDeploymentProps {
  /** The ServiceAccount the controller runs as (bound by ControllerClusterRole and LeaderElectionRole). */
  readonly serviceAccount: kplus.IServiceAccount;
  /**
   * Name of the Deployment.
   * @default "regnet-controller"
   */
  readonly name?: string;
  /**
   * Image repository, built from the repo's Dockerfile.
   * @default "ghcr.io/regnet-dev/regnet-controller"
   */
  readonly image?: string;
  /**
   * Image tag.
   * @default the version in package.json
   */
  readonly tag?: string;
  /**
   * Replicas. More than one is safe (leader election) but only the leader reconciles.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Extra command-line arguments for the controller.
   * @default none (in-cluster config, all namespaces)
   */
  readonly args?: string[];
  /**
   * Log level (pino) of the controller.
   * @default "info"
   */
  readonly logLevel?: string;
  /**
   * CPU and memory requests and limits.
   * @default requests 100m / 128Mi, limits 1 CPU / 512Mi
   */
  readonly resources?: kplus.ContainerResources;
}

export class ControllerDeployment extends Construct {
  readonly deployment: kplus.Deployment;
  /** The image reference the pod runs. */
  readonly image: string;

  constructor(scope: Construct, id: string, props: ControllerDeploymentProps) {
    super(scope, id);
    const name = props.name ?? DEFAULT_CONTROLLER_NAME;
    this.image = `${props.image ?? DEFAULT_IMAGE_REPOSITORY}:${props.tag ?? packageVersion()}`;
    const labels = platformLabels("controller");

    this.deployment = new kplus.Deployment(this, "deployment", {
      metadata: { name, labels },
      replicas: props.replicas ?? 1,
      // cdk8s-plus would select on a label derived from the construct path; an explicit selector
      // keeps it stable (a Deployment's selector is immutable).
      select: false,
      podMetadata: {
        labels,
        annotations: {
          "prometheus.io/scrape": "true",
          "prometheus.io/port": String(CONTROLLER_HTTP_PORT),
          "prometheus.io/path": "/metrics",
        },
      },
      serviceAccount: props.serviceAccount,
      // cdk8s-plus defaults to no token; the controller talks to the API server with it.
      automountServiceAccountToken: true,
      securityContext: { ensureNonRoot: true, user: CONTROLLER_UID, group: CONTROLLER_UID },
      containers: [
        {
          name: "controller",
          image: this.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          args: props.args,
          envVariables: { REGNET_LOG_LEVEL: kplus.EnvValue.fromValue(props.logLevel ?? "info") },
          ports: [{ name: "http", number: CONTROLLER_HTTP_PORT }],
          // Liveness catches a hung process, not a slow one: with the defaults (1 s timeout, 3 misses)
          // a controller on a loaded node was killed while reconciling a 100-node network (npm run
          // bench: 4 restarts, each followed by a restart back-off, in one run at load 20-50), and a
          // restart only adds work. 5 s to answer, a minute of misses before a restart.
          liveness: kplus.Probe.fromHttpGet("/healthz", {
            port: CONTROLLER_HTTP_PORT,
            timeoutSeconds: Duration.seconds(5),
            periodSeconds: Duration.seconds(10),
            failureThreshold: 6,
          }),
          readiness: kplus.Probe.fromHttpGet("/readyz", { port: CONTROLLER_HTTP_PORT, timeoutSeconds: Duration.seconds(5) }),
          resources: props.resources ?? {
            cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.units(1) },
            memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) },
          },
          securityContext: {
            ensureNonRoot: true,
            user: CONTROLLER_UID,
            group: CONTROLLER_UID,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            // What Pod Security "restricted" asks for; the regnet-system Namespace enforces it.
            capabilities: { drop: [kplus.Capability.ALL] },
            seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
          },
        },
      ],
    });
    this.deployment.select(kplus.LabelSelector.of({ labels }));
    // cdk8s-plus writes zero values that the API server drops (omitempty). Left in, server-side
    // apply tracks fields that are never stored, and a second field manager applying the same
    // manifest gets conflicts on them.
    ApiObject.of(this.deployment).addJsonPatch(
      JsonPatch.remove("/spec/minReadySeconds"),
      JsonPatch.remove("/spec/template/spec/hostNetwork"),
    );
  }
}
