#!/usr/bin/env bash
# Install what the native stack needs, idempotently (quick when nothing is missing):
# system packages (as root), the repo's Python venv, the Maven-built engines (Kafka,
# Elasticsearch), the front end's npm packages and MailDev.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

# lua-cjson: the JSON library of HAProxy's edge assembly script (haproxy/edge_assembly.lua).
APT_PACKAGES=(postgresql redis-server haproxy lua-cjson openjdk-17-jdk-headless maven chromium chromium-driver wrk)
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "ERROR: missing system packages: ${missing[*]}" >&2
    echo "Run as root:  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "ERROR: Python 3.11 is required ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
  echo "creating .venv"
  "$PYTHON" -m venv .venv
fi
mkdir -p var/run
stamp="$(cat requirements.txt common/pyproject.toml | sha256sum | cut -d' ' -f1)"
if [[ "$(cat var/run/pip.stamp 2>/dev/null)" != "$stamp" ]]; then
  echo "installing Python dependencies into .venv"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements.txt
  .venv/bin/pip install -q --no-deps -e common
  echo "$stamp" > var/run/pip.stamp
fi

npm_install() {  # npm ci when node_modules is missing or older than the lock file
  local dir="$1"
  [[ -f "$dir/package-lock.json" ]] || return 0
  if [[ ! -d "$dir/node_modules" || "$dir/package-lock.json" -nt "$dir/node_modules" ]]; then
    echo "installing npm packages in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$dir/node_modules"
  fi
}
npm_install web-frontend   # Bootstrap (served locally by whitenoise)
# MailDev 3, the SMTP catcher (infra:mail), needs Node.js 20 or newer.
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)'; then
  echo "ERROR: MailDev (ops/mailcatcher) needs Node.js 20 or newer; this is $(node --version)" >&2
  exit 1
fi
npm_install ops/mailcatcher   # MailDev, the local SMTP catcher and its web page

# The real engines from Maven artifacts, into .engines/ (kept across `make clean`, like
# .venv). Each build is skipped while its stamp matches its pom.xml; Maven's own download
# cache (~/.m2, or MAVEN_REPO_LOCAL) makes a rebuild after a pom change quick.
ENGINES_DIR="${ENGINES_DIR:-$ROOT/.engines}"
bash ops/kafka/build.sh "$ENGINES_DIR/kafka"
bash ops/elasticsearch/build.sh "$ENGINES_DIR/elasticsearch"
