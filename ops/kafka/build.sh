#!/usr/bin/env bash
# Build the Apache Kafka broker classpath: OUTDIR/lib/*.jar from pom.xml (official release jars
# and their runtime dependencies, downloaded by Maven). Idempotent: when OUTDIR/.pom.sha256
# matches this pom.xml the copy is skipped, so a second `make up` costs milliseconds.
#
#   ops/kafka/build.sh OUTDIR
#   MAVEN_REPO_LOCAL=DIR   optional: Maven's local repository (download cache), passed as
#                          -Dmaven.repo.local=DIR; default is Maven's own (~/.m2/repository).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build.sh OUTDIR}"
pom="$here/pom.xml"

command -v mvn >/dev/null || { echo "build.sh: mvn not found (apt-get install maven)" >&2; exit 1; }
command -v java >/dev/null || { echo "build.sh: java not found (Kafka 4 needs Java 17+)" >&2; exit 1; }

want="$(sha256sum "$pom" | cut -d' ' -f1)"
stamp="$out/.pom.sha256"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -d "$out/lib" ]]; then
    exit 0
fi

mkdir -p "$out"
args=(-B -q -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DincludeScope=runtime
      -DoutputDirectory="$out/lib.new")
if [[ -n "${MAVEN_REPO_LOCAL:-}" ]]; then
    args+=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL")
fi

# Copy into a fresh folder and swap it in, so a failed or interrupted build never leaves a
# half-filled lib/ (or jars of an older version beside the new ones) behind a valid stamp.
rm -rf "$out/lib.new"
# (Debian's Maven 3.8 prints bare ANSI resets even in batch mode: strip them.)
if ! mvn "${args[@]}" 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g'; then
    rm -rf "$out/lib.new"
    echo "build.sh: Maven could not resolve the Kafka artifacts of $pom" >&2
    exit 1
fi
if ! compgen -G "$out/lib.new/kafka_2.13-*.jar" >/dev/null; then
    echo "build.sh: Maven reported success but copied no Kafka jar into $out/lib.new" >&2
    exit 1
fi
rm -rf "$out/lib.old"
[[ -d "$out/lib" ]] && mv "$out/lib" "$out/lib.old"
mv "$out/lib.new" "$out/lib"
rm -rf "$out/lib.old"
echo "$want" > "$stamp"
