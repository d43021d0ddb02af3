export * from "./common";
export { buildSecret, readCredentials, secretCredentials, secretFiles, secretHash } from "./secret";
export { buildService } from "./service";
export { buildStatefulSet } from "./statefulset";
