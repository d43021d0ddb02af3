export {
  KubeObjects,
  OwnershipError,
  KubeError,
  NamespaceNotFoundError,
  missingLabels,
  hasOwner,
  toSelector,
  podReady,
  type Kind,
} from "./objects";
