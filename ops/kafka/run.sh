#!/usr/bin/env bash
# Run the Apache Kafka 4.x broker (KRaft combined mode) in the foreground, for a supervisor.
# Formats the storage on first start only (no meta.properties yet), then `exec java kafka.Kafka`
# so SIGTERM reaches the JVM and Kafka shuts down cleanly (about 1 s).
#
# Environment (defaults in brackets):
#   KAFKA_LIB              folder of the jars made by build.sh OUTDIR: OUTDIR/lib  (required)
#   KAFKA_DATA_DIR         data root: cluster.id, rendered server.properties, kraft/ (required)
#   BIND_ADDRESS           [127.0.0.1]
#   KAFKA_PORT             [9092]  client listener (PLAINTEXT)
#   KAFKA_CONTROLLER_PORT  [9093]  KRaft controller listener
#   KAFKA_CONFIG           an already rendered server.properties; when unset, the template
#                          beside this script is rendered into $KAFKA_DATA_DIR/server.properties
#   KAFKA_HEAP_OPTS        [-Xms256m -Xmx512m]
#   KAFKA_JVM_OPTS         extra JVM flags, appended
#   KAFKA_LOG4J2           [log4j2.xml beside this script]
#   JAVA_HOME              optional; else `java` on PATH (Java 17+)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${KAFKA_LIB:?KAFKA_LIB must name the lib folder made by ops/kafka/build.sh}"
: "${KAFKA_DATA_DIR:?KAFKA_DATA_DIR must name the broker data folder}"
export BIND_ADDRESS="${BIND_ADDRESS:-127.0.0.1}"
export KAFKA_PORT="${KAFKA_PORT:-9092}"
export KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
heap="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
log4j="${KAFKA_LOG4J2:-$here/log4j2.xml}"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

compgen -G "$KAFKA_LIB/kafka_2.13-*.jar" >/dev/null || {
    echo "run.sh: no Kafka jars in $KAFKA_LIB (run ops/kafka/build.sh first)" >&2; exit 1; }

mkdir -p "$KAFKA_DATA_DIR"
config="${KAFKA_CONFIG:-}"
if [[ -z "$config" ]]; then
    config="$KAFKA_DATA_DIR/server.properties"
    # Same placeholders as string.Template in ops/stack.py; sed keeps this script shell-only.
    esc() { printf '%s' "$1" | sed 's/[\/&|]/\\&/g'; }
    sed -e "s|\${BIND_ADDRESS}|$(esc "$BIND_ADDRESS")|g" \
        -e "s|\${KAFKA_PORT}|$(esc "$KAFKA_PORT")|g" \
        -e "s|\${KAFKA_CONTROLLER_PORT}|$(esc "$KAFKA_CONTROLLER_PORT")|g" \
        -e "s|\${KAFKA_DATA_DIR}|$(esc "$KAFKA_DATA_DIR")|g" \
        "$here/server.properties" > "$config.tmp"
    if grep -n '\${' "$config.tmp" >&2; then
        echo "run.sh: unfilled placeholder in $here/server.properties" >&2; exit 1
    fi
    mv "$config.tmp" "$config"
fi

cp="$KAFKA_LIB/*"
common=(-Djava.awt.headless=true "-Dlog4j2.configurationFile=$log4j")

# First start only: format the metadata log dir (Kafka refuses to start on an unformatted one).
logdir="$(sed -n 's/^[[:space:]]*log\.dirs[[:space:]]*=[[:space:]]*//p' "$config" | tail -1 | cut -d, -f1)"
metadir="$(sed -n 's/^[[:space:]]*metadata\.log\.dir[[:space:]]*=[[:space:]]*//p' "$config" | tail -1)"
metadir="${metadir:-$logdir}"
if [[ ! -f "$metadir/meta.properties" ]]; then
    idfile="$KAFKA_DATA_DIR/cluster.id"
    if [[ ! -s "$idfile" ]]; then
        # A cluster id is 16 random bytes, base64url without padding: 22 characters.
        id="$("$java" -Xmx64m "${common[@]}" -cp "$cp" kafka.tools.StorageTool random-uuid \
              | grep -E '^[A-Za-z0-9_-]{22}$' | tail -1)"
        [[ -n "$id" ]] || { echo "run.sh: StorageTool random-uuid gave no id" >&2; exit 1; }
        echo "$id" > "$idfile.tmp"
        mv "$idfile.tmp" "$idfile"
    fi
    echo "run.sh: formatting $metadir for cluster $(cat "$idfile")"
    "$java" -Xmx128m "${common[@]}" -cp "$cp" kafka.tools.StorageTool format \
        --ignore-formatted -t "$(cat "$idfile")" -c "$config"
fi

# shellcheck disable=SC2086  # heap and extra options are word lists
exec "$java" $heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError "${common[@]}" \
    ${KAFKA_JVM_OPTS:-} -cp "$cp" kafka.Kafka "$config"
