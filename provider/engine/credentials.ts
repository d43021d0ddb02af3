// Per-network RPC credentials: a random password, Bitcoin Core's `-rpcauth` line (salted hash, so
// the password itself never reaches the node's command line), and for btcd, whose RPC is TLS-only
// off loopback, a self-signed certificate. Pod IPs are unknown when it is made, so clients pin this
// exact certificate instead of checking names.
import * as crypto from "node:crypto";
import forge from "node-forge";
import type { Implementation } from "../spec";
import type { RpcCredentials } from "../rpc";

const RPC_USER = "regnet";

/** A network's RPC credentials, as its Secret holds them: what the client signs in with, and what
 * the nodes need besides. */
export interface NetworkCredentials extends RpcCredentials {
  /** `user:salt$hash` for Bitcoin Core's -rpcauth. */
  rpcauth: string;
  /** btcd only: the PKCS#1 RSA key of `tlsCert` (PEM), for --rpckey. */
  tlsKey?: string;
}

/** Bitcoin Core's share/rpcauth/rpcauth.py: HMAC-SHA256 keyed by the salt's hex text. */
export function rpcauthLine(user: string, password: string, saltHex = crypto.randomBytes(16).toString("hex")): string {
  const hash = crypto.createHmac("sha256", saltHex).update(password).digest("hex");
  return `${user}:${saltHex}$${hash}`;
}

/** A self-signed certificate for one network's btcd nodes (RSA 2048, 10 years). */
export function selfSignedCert(networkName: string, now = new Date()): { cert: string; key: string } {
  // Node generates the key natively (fast); node-forge builds and signs the X.509 certificate.
  const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const fKey = forge.pki.privateKeyFromPem(keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(fKey.n, fKey.e);
  // Positive 128-bit serial (leading 0 nibble keeps the DER integer positive).
  cert.serialNumber = "0" + crypto.randomBytes(16).toString("hex").slice(1);
  cert.validity.notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now.getTime() + 10 * 365 * 24 * 60 * 60 * 1000);
  const subject = [
    { name: "organizationName", value: "regnet" },
    { name: "commonName", value: `${networkName}.regnet` },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  // Like btcd's own gencerts: a self-signed server certificate that is also its own CA, so TLS
  // stacks accept it as the trust anchor when it is pinned.
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    {
      name: "subjectAltName",
      altNames: [
        { type: 2, value: "localhost" },
        { type: 2, value: networkName },
        { type: 2, value: `*.${networkName}` },
        { type: 7, ip: "127.0.0.1" },
        { type: 7, ip: "::1" },
      ],
    },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(fKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keyPem };
}

/**
 * Why credentials from a user's Secret (spec.rpc.secretName) cannot be used, each naming its key;
 * empty when they can. The values go into one-line `key=value` config files and HTTP Basic auth.
 */
export function credentialProblems(implementation: Implementation, c: Partial<NetworkCredentials>): string[] {
  const out: string[] = [];
  if (!c.user) out.push(`"user" is missing or empty`);
  else if (/[:\s]/.test(c.user)) out.push(`"user" must not contain ":" or white space`);
  if (!c.password) out.push(`"password" is missing or empty`);
  else if (/[#\r\n]/.test(c.password) || c.password.trim() !== c.password) {
    out.push(`"password" must be one line without "#" and without leading or trailing spaces (it goes into the nodes' config files)`);
  }
  if (implementation === "btcd") {
    // btcd serves RPC over TLS only off loopback; regnet's client pins this certificate.
    if (!c.tlsCert) out.push(`"tls.crt" is missing (btcd's RPC certificate, PEM)`);
    if (!c.tlsKey) out.push(`"tls.key" is missing (that certificate's private key, PEM)`);
  }
  return out;
}

export function generateRpcCredentials(implementation: Implementation, networkName: string): NetworkCredentials {
  // base64url: no characters that need quoting in a config file or an HTTP Basic header.
  const password = crypto.randomBytes(32).toString("base64url");
  const creds: NetworkCredentials = { user: RPC_USER, password, rpcauth: rpcauthLine(RPC_USER, password) };
  if (implementation === "btcd") {
    const { cert, key } = selfSignedCert(networkName);
    creds.tlsCert = cert;
    creds.tlsKey = key;
  }
  return creds;
}
