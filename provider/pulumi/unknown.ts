// During preview the Pulumi engine sends an input that is not known yet as this magic string,
// whatever the input's declared type (pulumi/pulumi#6310), possibly deep inside an object.
// check and diff must let such values through rather than refuse or misread them.
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(value: unknown): boolean {
  return value === UNKNOWN;
}

/** True if `value` is, or holds anywhere inside it, the unknown marker. */
export function containsUnknown(value: unknown): boolean {
  if (isUnknown(value)) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}
