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
  type ObjectReader,
} from "./objects";
export { type ObjectCaches } from "./cached-reader";
