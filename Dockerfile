# syntax=docker/dockerfile:1
# The sluice operator image: compiled JavaScript, production dependencies only,
# on a distroless Node 24 base, running as a non-root user.

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The Node binary package is for machines whose system Node is older; the image has Node 24.
RUN npm ci --omit=optional --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --omit=optional

FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
USER 65532:65532
# A young generation of 8 MB semi-spaces instead of V8's default: with 50,000 runs
# cached it keeps the resident set about 130 MB smaller at the same sync time
# (README, Performance). bench:e2e runs the operator with this same setting.
ENV NODE_OPTIONS="--max-semi-space-size=8"
EXPOSE 8080 8081
ENTRYPOINT ["/nodejs/bin/node", "dist/main.js"]
