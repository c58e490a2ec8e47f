# dtx image: the build stage carries python3, make and g++ so better-sqlite3 can compile from source
# where its prebuilt binary cannot be downloaded; runs `dtx serve`.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
COPY machines ./machines
COPY scripts ./scripts
COPY examples ./examples
COPY ui ./ui
COPY proto ./proto
# tsc, then the admin UI (vite) into dist/ui; the client SDK (workspace client/) is not part of the image
RUN npm run build:server && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/proto ./proto
COPY package.json ./
# no terminal in a container: logs are JSON lines (LOG_FORMAT=pretty for readable ones)
ENV STORE_DATA_DIR=/data HTTP_HOST=0.0.0.0
VOLUME /data
EXPOSE 36789 36790
ENTRYPOINT ["node", "--max-semi-space-size=4", "--v8-pool-size=1", "dist/src/cli.js"]
CMD ["serve"]
