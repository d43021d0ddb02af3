export * from "./common";
export { buildSecret, readCredentials, secretCredentials, secretFiles, secretHash } from "./secret";
export { buildService } from "./service";
export { buildStatefulSet, cliCommand, nodeArgs, type StatefulSetInputs } from "./statefulset";
