export { KubeObjects, OwnershipError, KubeError, FIELD_MANAGER, isNotFound, missingLabels, hasOwner, toSelector, podReady, type Kind, type OwnerReference } from "./objects";
export { openPortForward, type Forward } from "./port-forward";
