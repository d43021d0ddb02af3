// Where a relative `kubeconfigPath` is taken from: the Pulumi project's folder (that of Pulumi.yaml),
// as users write it in their stack config. It is resolved here, in the provider process, at call
// time, so the state holds the path as written and a checkout elsewhere (another machine, a moved
// folder) uses its own file. The CLI starts the provider in the program's folder (or a workspace's
// workDir), so the project is the nearest folder up from there with a Pulumi.yaml, unless
// $REGNET_PROJECT_DIR names it (the Automation API harness does: its workDir has a Pulumi.yaml of
// its own).
import * as fs from "node:fs";
import * as path from "node:path";

export function projectDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (env.REGNET_PROJECT_DIR) return env.REGNET_PROJECT_DIR;
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml")) || fs.existsSync(path.join(dir, "Pulumi.yml"))) return dir;
    if (path.dirname(dir) === dir) return cwd;
  }
}

/** The file a `kubeconfigPath` names: absolute as it is, relative to the project's folder. */
export function kubeconfigFile(kubeconfigPath: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return path.resolve(projectDir(env, cwd), kubeconfigPath);
}
