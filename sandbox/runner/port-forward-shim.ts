// Run by KWOK for `kubectl port-forward`, inside the pod's network namespace (`ip netns exec`):
// pipes stdin/stdout (the forwarded stream) to 127.0.0.1:<port>, the pod's own loopback.
import * as net from "node:net";

const port = Number(process.argv[2]);
const sock = net.connect({ host: "127.0.0.1", port });
sock.on("error", (err) => {
  process.stderr.write(`regnet port-forward to 127.0.0.1:${port} in the pod: ${err.message}\n`);
  process.exit(1);
});
process.stdin.pipe(sock);
sock.pipe(process.stdout);
sock.on("close", () => process.exit(0));
process.stdin.on("end", () => sock.end());
