// Which node peers with which: the topology of a spec as undirected edges [a, b] with a < b,
// sorted. Pure and deterministic; `random` is reproducible for a seed and always connected.
import type { Topology } from "../../spec";

export type Edge = [number, number];

function norm(a: number, b: number): Edge {
  return a < b ? [a, b] : [b, a];
}

function sortEdges(edges: Edge[]): Edge[] {
  return edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
}

/** mulberry32: a tiny, well-distributed 32-bit PRNG; the same seed gives the same sequence everywhere. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A connected random graph where every node has at least `degree` peers (capped at n-1) and few have
 * more: a random Hamiltonian path first (connected, degree ≤ 2), then edges between nodes still
 * short of `degree`, preferring partners that are short too.
 */
function randomEdges(n: number, degree: number, seed: number): Edge[] {
  if (n <= 1) return [];
  const rand = seededRandom(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const adj = Array.from({ length: n }, () => new Set<number>());
  const link = (a: number, b: number) => {
    adj[a].add(b);
    adj[b].add(a);
  };
  for (let i = 1; i < n; i++) link(order[i - 1], order[i]);

  const target = Math.min(degree, n - 1);
  for (const a of order) {
    while (adj[a].size < target) {
      const free = order.filter((b) => b !== a && !adj[a].has(b));
      const short = free.filter((b) => adj[b].size < target);
      if (short.length > 0) {
        link(a, pick(short));
      } else {
        const least = Math.min(...free.map((b) => adj[b].size));
        link(a, pick(free.filter((b) => adj[b].size === least)));
      }
    }
  }
  const edges: Edge[] = [];
  adj.forEach((peers, a) => peers.forEach((b) => a < b && edges.push([a, b])));
  return sortEdges(edges);
}

/** The edges the topology asks for among nodes 0..n-1. */
export function desiredEdges(topology: Topology, n: number): Edge[] {
  switch (topology.type) {
    case "mesh": {
      const edges: Edge[] = [];
      for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) edges.push([a, b]);
      return edges;
    }
    case "ring": {
      if (n <= 1) return [];
      if (n === 2) return [[0, 1]];
      return sortEdges(Array.from({ length: n }, (_, i) => norm(i, (i + 1) % n)));
    }
    case "random":
      return randomEdges(n, topology.degree ?? 2, topology.seed ?? 0);
    case "edges": {
      const seen = new Map<string, Edge>();
      for (const [x, y] of topology.edges ?? []) {
        if (x === y || x >= n || y >= n) continue;
        const e = norm(x, y);
        seen.set(`${e[0]},${e[1]}`, e);
      }
      return sortEdges([...seen.values()]);
    }
  }
}

/** The ordinals a node is linked to, ascending. */
export function expectedPeers(edges: readonly Edge[], ordinal: number): number[] {
  const peers: number[] = [];
  for (const [a, b] of edges) {
    if (a === ordinal) peers.push(b);
    else if (b === ordinal) peers.push(a);
  }
  return peers.sort((x, y) => x - y);
}

/** The edges whose both ends are in `ordinals` (e.g. the ready nodes). */
export function edgesAmong(edges: readonly Edge[], ordinals: Iterable<number>): Edge[] {
  const set = new Set(ordinals);
  return edges.filter(([a, b]) => set.has(a) && set.has(b));
}
