#!/usr/bin/env bash
# Run one Elasticsearch node in the foreground (exec: the caller's PID is the JVM's).
#
#   ops/elasticsearch/run.sh OUT_DIR [launcher options...]
#
# OUT_DIR is what build.sh built. Launcher options (or their environment variables):
#   --http-port N (ES_HTTP_PORT, 9200)   --transport-port N (ES_TRANSPORT_PORT, http+100)
#   --data-dir DIR (ES_DATA_DIR)         --cluster-name NAME (ES_CLUSTER_NAME)
#   --node-name NAME (ES_NODE_NAME)      --host ADDR (ES_HOST, 127.0.0.1)   -Ekey=value
# Heap: ES_HEAP (default 512m) sets -Xms and -Xmx; ES_JAVA_OPTS adds JVM flags.
# JAVA (default: java on PATH) must be Java 17 or newer.
set -euo pipefail

out="${1:?usage: run.sh OUT_DIR [--http-port N] [--data-dir DIR] [--cluster-name NAME] ...}"
shift
out="$(cd "$out" && pwd)"
home="$(ls -d "$out"/elasticsearch-8.* | tail -n 1)"
heap="${ES_HEAP:-512m}"
tmp="${ES_TMPDIR:-${TMPDIR:-/tmp}}"

# The JVM flags are those Elasticsearch's own launcher passes (its "system" and
# default jvm.options), minus the entitlement agent and the heap ergonomics.
# shellcheck disable=SC2086
exec "${JAVA:-java}" \
  -Xms"$heap" -Xmx"$heap" \
  -XX:+UseG1GC -Xss1m -XX:+ExitOnOutOfMemoryError -XX:-OmitStackTraceInFastThrow \
  -Djava.awt.headless=true -Dfile.encoding=UTF-8 -Djava.locale.providers=SPI,COMPAT \
  -Djava.io.tmpdir="$tmp" -Djna.nosys=true \
  -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true -Dio.netty.recycler.maxCapacityPerThread=0 \
  -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true -Dlog4j2.formatMsgNoLookups=true \
  -Des.networkaddress.cache.ttl=60 -Des.networkaddress.cache.negative.ttl=10 \
  -Des.path.home="$home" -Des.path.conf="$out/config" -Des.distribution.type=zip \
  ${ES_JAVA_OPTS:-} \
  --module-path "$home/lib" --add-modules=ALL-MODULE-PATH \
  -cp "$out/launcher/es-dev-launcher.jar" \
  dev.marketplace.esnode.Launcher "$@"
