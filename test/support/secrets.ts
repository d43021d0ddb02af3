// What "the secret is not there" searches for: the RPC password in the forms it could leak in (as
// is, base64 as in a Secret's data, and the HTTP Basic header of user:password), and the
// kubeconfig's own credential (its client key, inline or in the file it names, or its token).
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";

export function passwordForms(user: string, password: string): string[] {
  return [password, Buffer.from(password).toString("base64"), Buffer.from(`${user}:${password}`).toString("base64")];
}

export function kubeconfigCredentials(kubeconfigPath: string): string[] {
  const kc = YAML.parse(fs.readFileSync(kubeconfigPath, "utf8")) as { users: { user: Record<string, string> }[] };
  // The long lines of a PEM body: any one of them found means the key leaked.
  const pemBody = (pem: string) => pem.split("\n").filter((l) => l.length >= 40 && !l.startsWith("-----"));
  return kc.users.flatMap(({ user }) => [
    ...(user["client-key-data"]
      ? [user["client-key-data"], ...pemBody(Buffer.from(user["client-key-data"], "base64").toString("utf8"))]
      : []),
    ...(user["client-key"] ? pemBody(fs.readFileSync(path.resolve(path.dirname(kubeconfigPath), user["client-key"]), "utf8")) : []),
    ...(user.token ? [user.token] : []),
  ]);
}

/** The names of the `places` whose text holds any needle (a place is what it is, e.g. a file or "Events"). */
export function placesHolding(places: Record<string, string>, needles: string[]): string[] {
  return Object.entries(places)
    .filter(([, text]) => needles.some((n) => text.includes(n)))
    .map(([where]) => where);
}
