// Settings shared by the two platform charts (cluster-scoped and regnet-system).

export interface PlatformProps {
  /**
   * Namespace of the controller, its ServiceAccount and its leader-election Lease.
   * @default "regnet-system"
   */
  readonly namespace?: string;
  /**
   * Name of the ServiceAccount, RBAC objects and Deployment.
   * @default "regnet-controller"
   */
  readonly name?: string;
  /**
   * Controller image repository.
   * @default "ghcr.io/regnet-dev/regnet-controller"
   */
  readonly image?: string;
  /**
   * Controller image tag.
   * @default the version in package.json
   */
  readonly tag?: string;
  /**
   * Namespaces in which the controller may touch Secrets; see ControllerClusterRoleProps. The
   * controller is told (`--secret-namespaces`) and watches Secrets there only.
   * @default undefined (cluster-wide)
   */
  readonly secretNamespaces?: string[];
  /**
   * Extra controller arguments.
   * @default none
   */
  readonly controllerArgs?: string[];
}
