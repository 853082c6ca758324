#!/usr/bin/env bash
# Build the Elasticsearch dev node into OUT_DIR with Maven; a no-op when up to date.
#
#   ops/elasticsearch/build.sh OUT_DIR
#
# MAVEN_REPO_LOCAL  Maven's local repository (passed as -Dmaven.repo.local); unset: Maven's
#                   default (~/.m2/repository). The first build downloads ~190 MB into it.
# MVN               the Maven command (default: mvn). Java 17+ (JAVA_HOME or java on PATH).
#
# OUT_DIR afterwards holds:
#   elasticsearch-8.19.21/   the distribution (lib/, modules/, plugins/marketplace-compat/)
#   launcher/es-dev-launcher.jar, config/log4j2.properties, build/ (Maven's work dir)
#   .build-stamp             hash of this folder's inputs; the next build skips if it matches
# Run the node with ops/elasticsearch/run.sh OUT_DIR ...
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build.sh OUT_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

inputs_hash() {
  (cd "$here" && find pom.xml build.sh src config -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) |
    sha256sum | cut -d' ' -f1
}

exec 9>"$out/.build.lock"
flock 9 # one build at a time per OUT_DIR

hash="$(inputs_hash)"
stamp="$out/.build-stamp"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$hash" ]] &&
  compgen -G "$out/elasticsearch-8.*/lib/elasticsearch-8.*.jar" >/dev/null &&
  [[ -f "$out/launcher/es-dev-launcher.jar" ]]; then
  echo "elasticsearch dev node: up to date in $out"
  exit 0
fi

started=$(date +%s)
rm -f "$stamp"
rm -rf "$out"/elasticsearch-8.* "$out/launcher" "$out/config" "$out/build"
args=(-B -q -Dstyle.color=never -f "$here/pom.xml" "-Des.out=$out")
if [[ -n "${MAVEN_REPO_LOCAL:-}" ]]; then
  args+=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL")
fi
"${MVN:-mvn}" "${args[@]}" package
echo "$hash" >"$stamp"
echo "elasticsearch dev node: built in $(($(date +%s) - started))s into $out"
