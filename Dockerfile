# genspan serve, built from this repository. Used by docker-compose.yml, which stores into PostgreSQL instead.
# Alone: docker run -e GENSPAN_TOKEN=<a long random string> -p 127.0.0.1:4318:4318 -p 127.0.0.1:4317:4317 \
#   -v genspan-data:/data <image>
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.page.json ./
COPY src ./src
# The code for Node, then the page's browser modules (checked against the DOM, not Node).
RUN npx tsc -p tsconfig.json && npx tsc -p tsconfig.page.json && npm prune --omit=dev

FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# The playground page's static files (HTML, CSS) are read from src/ui.
COPY --from=build /app/src/ui ./src/ui
# /app belongs to root; the default SQLite store lives in a volume the node user owns.
RUN mkdir /data && chown node:node /data
VOLUME ["/data"]
USER node
# OTLP/HTTP, the REST API and the playground; OTLP/gRPC.
EXPOSE 4318 4317
ENTRYPOINT ["node", "--max-semi-space-size=4", "dist/src/cli/main.js"]
CMD ["serve", "--host", "0.0.0.0", "--db", "/data/genspan.db"]
