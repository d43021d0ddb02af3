// What the controller may do cluster-wide. Per resource it gets the capabilities the engine and
// the controller use (read, write, delete; audited against provider/kube, provider/engine and
// provider/controller) and none they don't: no writes to a user's spec, to pods or PVCs, no
// port-forward or exec, no other kinds. Within a capability the verbs that add nothing to it are
// included (get/watch beside list, update beside patch), so a change from patch to replace needs no
// RBAC release. Leases are not here: leader election is namespaced (./leader-election-role.ts).
import { Construct } from "constructs";
import { k8s } from "cdk8s-plus-28";
import { GROUP, PLURAL } from "../../provider/spec/constants";
import { DEFAULT_CONTROLLER_NAME, platformLabels } from "./defaults";

/** The objects a network owns: the engine creates them with owner references, server-side applies
 * the desired state (patch; create when absent), deletes them on teardown, and the controller
 * watches them to requeue their network. */
const OWNED_OBJECT_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"];

export interface ControllerClusterRoleProps {
  /** The controller's ServiceAccount. */
  readonly serviceAccount: { readonly name: string; readonly namespace: string };
  /**
   * Name of the ClusterRole(s) and their bindings.
   * @default "regnet-controller"
   */
  readonly name?: string;
  /**
   * Where the controller may touch Secrets.
   *
   * Kubernetes RBAC cannot scope by label or owner, and `resourceNames` cannot name Secrets the
   * controller has yet to create, so "only the Secrets it owns" is not expressible. Two honest
   * choices remain:
   * - `undefined` (cluster-wide): the Secret verbs sit in the cluster-wide ClusterRole, so networks
   *   work in any namespace; the controller *could* read any Secret in the cluster, and only its
   *   code (objects without regnet's labels are never touched) keeps it to its own.
   * - a list of namespaces: the Secret verbs move to a ClusterRole `<name>-secrets` bound by a
   *   RoleBinding in each listed namespace, so Secrets elsewhere (kube-system, ...) are forbidden
   *   by the API server. Networks then need their namespace listed here.
   * @default undefined (cluster-wide)
   */
  readonly secretNamespaces?: string[];
}

export class ControllerClusterRole extends Construct {
  readonly name: string;

  constructor(scope: Construct, id: string, props: ControllerClusterRoleProps) {
    super(scope, id);
    this.name = props.name ?? DEFAULT_CONTROLLER_NAME;
    const labels = platformLabels("rbac");
    const subjects = [{ kind: "ServiceAccount", name: props.serviceAccount.name, namespace: props.serviceAccount.namespace }];
    const secretRule = { apiGroups: [""], resources: ["secrets"], verbs: OWNED_OBJECT_VERBS };
    const scoped = props.secretNamespaces !== undefined;

    new k8s.KubeClusterRole(this, "role", {
      metadata: { name: this.name, labels },
      rules: [
        // Read only: the controller never writes a user's spec (no finalizers either: owner
        // references and the garbage collector clean up).
        { apiGroups: [GROUP], resources: [PLURAL], verbs: ["get", "list", "watch"] },
        // With the status subresource, status is written only through /status.
        { apiGroups: [GROUP], resources: [`${PLURAL}/status`], verbs: ["get", "update", "patch"] },
        // Owner references carry blockOwnerDeletion; where the OwnerReferencesPermissionEnforcement
        // admission plugin runs, setting it needs update on the owner's finalizers.
        { apiGroups: [GROUP], resources: [`${PLURAL}/finalizers`], verbs: ["update"] },
        { apiGroups: ["apps"], resources: ["statefulsets"], verbs: OWNED_OBJECT_VERBS },
        { apiGroups: [""], resources: ["services"], verbs: OWNED_OBJECT_VERBS },
        ...(scoped ? [] : [secretRule]),
        // Claims are made by the StatefulSet controller from volumeClaimTemplates; the engine only
        // finds and deletes a network's claims on teardown.
        { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get", "list", "delete"] },
        // Pods are the StatefulSet controller's: the engine only reads them (IPs, readiness) and
        // dials their IPs directly, so no pods/portforward.
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
        // Events about networks (core/v1; events.k8s.io/v1 is the same objects under its new group).
        { apiGroups: ["", "events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, "binding", {
      metadata: { name: this.name, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: this.name },
      subjects,
    });

    if (!scoped) return;
    const secretsRole = `${this.name}-secrets`;
    new k8s.KubeClusterRole(this, "secrets-role", {
      metadata: { name: secretsRole, labels },
      rules: [secretRule],
    });
    for (const namespace of props.secretNamespaces ?? []) {
      new k8s.KubeRoleBinding(this, `secrets-${namespace}`, {
        metadata: { name: secretsRole, namespace, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: secretsRole },
        subjects,
      });
    }
  }
}
