export {
  KubeObjects,
  OwnershipError,
  KubeError,
  NamespaceNotFoundError,
  FIELD_MANAGER,
  isNotFound,
  missingLabels,
  hasOwner,
  toSelector,
  podReady,
  type Kind,
  type OwnerReference,
} from "./objects";
export { openPortForward, type Forward } from "./port-forward";
export {
  assertReachable,
  contextNamespace,
  loadKubeconfig,
  KubeconfigError,
  type KubeconfigChoice,
  type LoadedKubeconfig,
} from "./kubeconfig";
export { streamLog, LogTargetError, type LogRequest } from "./logs";
