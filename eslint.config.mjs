// ESLint (flat config) with typescript-eslint's type-aware rules: `npm run lint` runs it with
// prettier --check, tsc --noEmit and knip. Rules are the recommended type-checked set; the few
// changes below each say why.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    // Generated (cdk8s synth, cdk8s import), built, or not ours.
    ignores: ["dist/", "charts-out/", "infra/cdk8s/imports/", "node_modules/", ".regnet/"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // `const { key: _, ...rest } = obj` is how a key is left out; `_` names what is deliberately unused.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      // An async function that fulfils a Promise-returning contract (a provider method, an engine
      // stand-in in a test) says so by being async; a forgotten await is caught by no-floating-promises
      // and no-misused-promises, which stay on.
      "@typescript-eslint/require-await": "off",
      // node:test's test()/describe() return promises the runner itself awaits.
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["test", "describe", "it", "suite", "before", "after"] }],
        },
      ],
    },
  },
  {
    // This file itself is plain JS, outside any tsconfig.
    files: ["**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The `regnet` launchers: plain CommonJS that any Node parses (they pick the Node that runs the CLI).
    files: ["bin/**/*.js"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: "commonjs",
      globals: { require: "readonly", module: "writable", process: "readonly", console: "readonly", __dirname: "readonly" },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, "@typescript-eslint/no-require-imports": "off" },
  },
);
