# syntax=docker/dockerfile:1
#
# One image for both Cloud Run services: the ROLE setting (ingress or renderer, set in service.yaml) picks the
# role at start. Build: `docker build -t manim-render .` (deploy.sh does it with Cloud Build or docker).
#
# Stages: `build` compiles the TypeScript, `node-deps` installs the production npm packages, `python-venv`
# builds ManimCE's venv with a compiler and -dev headers; `runtime` gets only their outputs, the shared libraries
# they load, LaTeX for MathTex and bubblewrap.

# Bases: Node 24 (as in package.json's `node` dev dependency) on Debian bookworm, and Debian bookworm itself with
# its own python3 (3.11.2, the interpreter scripts/setup.sh gives the development venv too). Both are made from
# Debian packages and the npm registry alone, so scripts/image/base-images.sh can build faithful stand-ins where
# Docker Hub cannot be reached (`npm run test:image`). The node stages build JavaScript only; the runtime gets the
# node binary copied from the same image.
ARG NODE_VERSION=24.21.0
FROM node:${NODE_VERSION}-bookworm-slim AS node

# ---------------------------------------------------------------------------------------------------------------
FROM node AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the `node` dev dependency's install script would download a second Node; this image's Node 24
# compiles. `npm install` rather than `npm ci`, which rejects this lock (see scripts/setup.sh); --no-save keeps it.
RUN npm install --no-save --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json
# The playground page, bundled with its editor and player (dist/playground/).
COPY web ./web
COPY scripts/build-playground.mjs ./scripts/
RUN node scripts/build-playground.mjs

# ---------------------------------------------------------------------------------------------------------------
FROM node AS node-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-save --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# ---------------------------------------------------------------------------------------------------------------
# The venv and the runtime share this base, so the venv's interpreter (/usr/bin/python3) is the runtime's.
FROM debian:bookworm-slim AS python-venv
# pycairo and ManimPango build from source against cairo and pango; the rest of requirements.txt are wheels.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential pkg-config python3-dev python3-venv libcairo2-dev libpango1.0-dev \
 && rm -rf /var/lib/apt/lists/*
COPY python/requirements.txt /tmp/requirements.txt
# requirements.txt is a complete freeze: --no-deps installs exactly it, and `pip check` fails the build if a
# dependency is missing from it. pip and setuptools are removed afterwards: nothing installs at run time.
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --no-deps --disable-pip-version-check -r /tmp/requirements.txt \
 && /opt/venv/bin/pip check \
 && /opt/venv/bin/pip uninstall -y --disable-pip-version-check pip setuptools

# ---------------------------------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime
# What the venv's extensions load (cairo, pango), fonts for Text in every script (DejaVu; Noto for CJK, Arabic,
# Hebrew, Devanagari and the rest; Symbola's outline emoji, as Manim draws Text from outlines) and fontconfig to
# index them once here rather than in every fresh worker, the LaTeX subset MathTex's default template needs (latex-extra has standalone.cls,
# recommended has xkeyval; preview.sty comes with them) and dvisvgm, bubblewrap (the render sandbox) and tini
# (PID 1: forwards SIGTERM, reaps what sandboxed renders orphan). No ffmpeg: Manim encodes, and the sandboxed
# reader probes outputs, with PyAV's own FFmpeg libraries (in the venv); Debian's ffmpeg would add 400 MB of
# codecs and graphics drivers (LLVM among them) that nothing here runs.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 libcairo2 libpango-1.0-0 libpangocairo-1.0-0 fontconfig fonts-dejavu-core \
      fonts-noto-core fonts-noto-cjk fonts-symbola \
      texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended dvisvgm \
      bubblewrap tini \
 && rm -rf /var/lib/apt/lists/* \
 && fc-cache -f

COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=python-venv /opt/venv /opt/venv
WORKDIR /app
COPY package.json ./
COPY --from=node-deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY python ./python

# Workers run with PYTHONDONTWRITEBYTECODE, so compile the worker's own modules here (pip compiled the venv).
# Then prove the image renders: MathTex runs latex and dvisvgm, Text runs pango with the installed font. The
# scratch directory and everything Manim wrote into it are removed in the same layer. Last, V8's compile cache of
# the service's modules (NODE_COMPILE_CACHE below): a cold start loads them about a quarter faster.
RUN node --version \
 && /opt/venv/bin/python -m compileall -q /app/python \
 && scratch="$(mktemp -d)" \
 && HOME="$scratch" /opt/venv/bin/python -c "import sys; from manim import config, MathTex, Text; \
      config.media_dir = sys.argv[1]; MathTex(r'e^{i\pi}+1=0'); Text('warm')" "$scratch" \
 && rm -rf "$scratch" \
 && NODE_COMPILE_CACHE=/app/.node-compile-cache node -e "for (const m of ['./dist/server.js', './dist/adapters/compose-gcp.js', \
      '@google-cloud/logging-winston', '@google-cloud/firestore', '@google-cloud/tasks', '@google-cloud/storage']) require(m)"

# The ingress drops to this user at start; the renderer stays root to give every sandbox a uid of its own
# (SECURITY.md, "The container's user").
RUN groupadd --system --gid 10001 manim \
 && useradd --system --uid 10001 --gid manim --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin manim
COPY --chmod=0755 scripts/image/entrypoint.sh /usr/local/bin/manim-render-entrypoint

# Settings of the image itself; the service's settings (MODE, ROLE, project, bucket...) come from service.yaml.
# HOST: Cloud Run sends requests to the container's interface, not loopback. DATA_DIR: render scratch space on
# the writable in-memory file system (it counts against the instance's memory).
ENV NODE_ENV=production \
    NODE_COMPILE_CACHE=/app/.node-compile-cache \
    HOST=0.0.0.0 \
    PORT=8080 \
    PYTHON=/opt/venv/bin/python \
    DATA_DIR=/tmp/manim-render

EXPOSE 8080
# No HEALTHCHECK: Cloud Run ignores it; service.yaml's startup and liveness probes call /readyz and /healthz.
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/manim-render-entrypoint"]
CMD ["node", "dist/main.js"]
