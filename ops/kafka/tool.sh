#!/usr/bin/env bash
# Run one of Kafka's command-line tools from the broker classpath, e.g.
#   KAFKA_LIB=OUTDIR/lib ops/kafka/tool.sh TopicCommand --bootstrap-server 127.0.0.1:9092 --list
#   KAFKA_LIB=OUTDIR/lib ops/kafka/tool.sh BrokerApiVersionsCommand --bootstrap-server 127.0.0.1:9092
#   KAFKA_LIB=OUTDIR/lib ops/kafka/tool.sh ConsumerGroupCommand --bootstrap-server ... --describe --all-groups
# A short name is looked up in org.apache.kafka.tools; a dotted name is used as is
# (kafka.tools.StorageTool, org.apache.kafka.tools.consumer.group.ConsumerGroupCommand).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${KAFKA_LIB:?KAFKA_LIB must name the lib folder made by ops/kafka/build.sh}"
tool="${1:?usage: tool.sh TOOL [ARGS...]}"; shift
case "$tool" in
    *.*) ;;
    ConsumerGroupCommand|ShareGroupCommand) tool="org.apache.kafka.tools.consumer.group.$tool" ;;
    *) tool="org.apache.kafka.tools.$tool" ;;
esac
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$java" -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$here/tool-log4j2.xml" -cp "$KAFKA_LIB/*" "$tool" "$@"
