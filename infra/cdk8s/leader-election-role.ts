// Leader election: the controller reads, creates and renews one Lease in its own namespace. A Role,
// not a ClusterRole, so it cannot touch Leases anywhere else (other controllers' leader locks,
// kube-node-lease heartbeats).
import { Chart } from "cdk8s";
import { Construct } from "constructs";
import { k8s } from "cdk8s-plus-28";
import { DEFAULT_CONTROLLER_NAME, platformLabels } from "./defaults";

export interface LeaderElectionRoleProps {
  /** The controller's ServiceAccount, in the chart's namespace. */
  readonly serviceAccountName: string;
  /**
   * Name of the Lease (the controller's `--leader-election-id`).
   * @default "regnet-controller"
   */
  readonly leaseName?: string;
  /**
   * Name of the Role and RoleBinding.
   * @default "regnet-controller-leader-election"
   */
  readonly name?: string;
}

export class LeaderElectionRole extends Construct {
  constructor(scope: Construct, id: string, props: LeaderElectionRoleProps) {
    super(scope, id);
    const name = props.name ?? `${DEFAULT_CONTROLLER_NAME}-leader-election`;
    const labels = platformLabels("rbac");
    new k8s.KubeRole(this, "role", {
      metadata: { name, labels },
      // Read the Lease, create it if missing, renew or take it over with the resourceVersion read
      // (provider/controller/leader.ts). get/update are held to the one Lease by name; create
      // cannot be (RBAC sees no name on a create). No list/watch/patch/delete.
      rules: [
        {
          apiGroups: ["coordination.k8s.io"],
          resources: ["leases"],
          resourceNames: [props.leaseName ?? DEFAULT_CONTROLLER_NAME],
          verbs: ["get", "update"],
        },
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
      ],
    });
    new k8s.KubeRoleBinding(this, "binding", {
      metadata: { name, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subjects: [{ kind: "ServiceAccount", name: props.serviceAccountName, namespace: Chart.of(this).namespace }],
    });
  }
}
