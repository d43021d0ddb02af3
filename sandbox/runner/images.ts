// Image -> program: the sandbox has no container images, so each image a pod names is mapped (by
// images.json) to programs on this machine, and a container's command/args resolve through that map.
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot, toolPath, type BinaryName } from "../toolchain/paths";
import { z } from "zod";
import imageMap from "./images.json";

interface ProgramSource {
  tool?: string;
  host?: string;
  node?: string;
}

export interface ImageProfile {
  name: string;
  match: string[];
  entrypoint: string[];
  cmd: string[];
  programs: Record<string, ProgramSource>;
}

const profileSchema = z.array(
  z.object({
    name: z.string(),
    match: z.array(z.string()).min(1),
    entrypoint: z.array(z.string()),
    cmd: z.array(z.string()),
    programs: z.record(z.string(), z.object({ tool: z.string().optional(), host: z.string().optional(), node: z.string().optional() })),
  }),
);

/** The profiles of images.json, checked at load so a broken entry names itself. */
export const PROFILES: ImageProfile[] = (() => {
  const r = profileSchema.safeParse(imageMap.images);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`sandbox/runner/images.json: images.${i.path.join(".")}: ${i.message}`);
  }
  return r.data;
})();

/** Glob match where `*` is any run of characters (also `/`); everything else is literal. */
export function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return re.test(value);
}

export function profileFor(image: string, profiles: ImageProfile[] = PROFILES): ImageProfile | undefined {
  // A digest pins an image's content; the name and tag still say which program it is.
  const ref = image.split("@")[0];
  return profiles.find((p) => p.match.some((m) => globMatch(m, ref)));
}

/** How names are found on this machine (injectable so the resolution rules are testable). */
export interface Lookup {
  /** Absolute path of `name` on the runner's PATH, or undefined. */
  which(name: string): string | undefined;
  /** Absolute path of a pinned toolchain binary, or undefined when it is not installed. */
  tool(name: string): string | undefined;
  /** The Node binary that runs repository scripts. */
  node: string;
  repoRoot: string;
}

export type Resolution = { ok: true; argv: string[]; pathDirs: string[] } | { ok: false; reason: string; message: string };

/**
 * The argv a container runs, as Kubernetes composes it (command replaces the image's entrypoint
 * and cmd; args replace its cmd), with argv[0] resolved through the image's programs.
 * `pathDirs` are folders that go first on the container's PATH, so the image's other programs
 * (btcctl next to btcd) are found by name inside the container as they would be in the image.
 */
export function resolveCommand(
  image: string,
  command: string[] | undefined,
  args: string[] | undefined,
  lookup: Lookup,
  profiles: ImageProfile[] = PROFILES,
): Resolution {
  const profile = profileFor(image, profiles);
  if (!profile) {
    return {
      ok: false,
      reason: "ImageNotMapped",
      message: `image "${image}" has no program in sandbox/runner/images.json; add an entry whose "match" covers it`,
    };
  }
  const hasCommand = command !== undefined && command.length > 0;
  const argv = [...(hasCommand ? command : profile.entrypoint), ...(args ?? (hasCommand ? [] : profile.cmd))];
  if (argv.length === 0) {
    return { ok: false, reason: "NoCommand", message: `image "${image}" has no entrypoint and the container sets no command` };
  }

  const pathDirs: string[] = [];
  for (const [name, source] of Object.entries(profile.programs)) {
    if (source.tool) {
      const p = lookup.tool(source.tool);
      if (p && name === path.basename(p)) pathDirs.push(path.dirname(p));
    }
  }

  const program = argv[0];
  const source = profile.programs[program];
  if (source?.node) {
    return { ok: true, argv: [lookup.node, path.join(lookup.repoRoot, source.node), ...argv.slice(1)], pathDirs: unique(pathDirs) };
  }
  if (source?.tool) {
    const p = lookup.tool(source.tool);
    if (!p) {
      return {
        ok: false,
        reason: "ProgramNotInstalled",
        message: `image "${image}" runs ${program}, which is not installed: run \`npm run setup\``,
      };
    }
    return { ok: true, argv: [p, ...argv.slice(1)], pathDirs: unique(pathDirs) };
  }
  if (source?.host) {
    const p = lookup.which(source.host);
    if (!p) {
      return {
        ok: false,
        reason: "ProgramNotFound",
        message: `image "${image}" (${profile.name}) runs ${source.host}, which is not on this machine's PATH: install it, or use a btcd image (e.g. ghcr.io/regnet-dev/btcd:v0.26.2)`,
      };
    }
    return { ok: true, argv: [p, ...argv.slice(1)], pathDirs: unique(pathDirs) };
  }
  // Not one of the image's own programs: a standard tool (sh, cat, ...) from the host, or a path.
  const p = program.includes("/") ? (isExecutable(program) ? program : undefined) : lookup.which(program);
  if (!p) {
    return { ok: false, reason: "ProgramNotFound", message: `${program} (command[0] of image "${image}") is not on this machine's PATH` };
  }
  return { ok: true, argv: [p, ...argv.slice(1)], pathDirs: unique(pathDirs) };
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

export function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** `name` searched on a PATH string. */
export function whichOn(name: string, pathValue: string | undefined): string | undefined {
  for (const dir of (pathValue ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

/** The real machine: the runner's PATH, the pinned toolchain, this Node. */
export function hostLookup(pathValue = process.env.PATH): Lookup {
  return {
    which: (name) => whichOn(name, pathValue),
    tool: (name) => {
      try {
        const p = toolPath(name as BinaryName);
        return isExecutable(p) ? p : undefined;
      } catch {
        return undefined;
      }
    },
    node: process.execPath,
    repoRoot,
  };
}
