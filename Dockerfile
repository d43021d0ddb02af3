# The regnet controller image: `node dist/provider/controller/main.js` as uid 1000 (the base
# image's `node` user), with the compiled engine and the controller's runtime dependencies only.
# Build: docker build -t ghcr.io/regnet-dev/regnet-controller:$(node -p 'require("./package.json").version') .

ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: compile the engine and the controller (TypeScript → dist/) ---
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: no install hooks are needed to compile (and the `node` devDependency's hook
# would download a second Node).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY provider ./provider
# Only provider/ is in the context (see .dockerignore), so only it is compiled. Call tsc with the
# image's node: node_modules/.bin/node is the unhooked devDependency.
RUN node node_modules/typescript/bin/tsc -p tsconfig.json

# --- runtime dependencies of the controller only ---
# The Pulumi front door and the cdk8s app share package.json but never load in the controller
# (test/unit/cdk8s-image.test.ts checks its import graph against this list): dropping them and
# what only they need takes node_modules from ~270 MB to ~110 MB.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm uninstall --no-save --omit=dev --ignore-scripts --no-audit --no-fund @pulumi/pulumi @pulumi/kubernetes cdk8s cdk8s-plus-28 constructs \
 && npm cache clean --force

# --- runtime ---
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/provider ./dist/provider
COPY package.json ./
# Numeric, so that runAsNonRoot can be verified by the kubelet.
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "dist/provider/controller/main.js"]
