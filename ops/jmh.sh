#!/bin/sh
# Runs a module's JMH microbenchmarks (src/test/java/**/bench/*Benchmark.java).
#
#   ops/jmh.sh MODULE [JMH options] [BENCHMARK REGEX]
#   ops/jmh.sh wire-format -f 1 -wi 2 -i 3 -prof gc CodecBenchmark
#   ops/jmh.sh broker TopicIndexBenchmark
#   ops/jmh.sh broker -h                # every JMH option
#
# Compiles the module's test sources (JMH's annotation processor writes the harness), then runs
# org.openjdk.jmh.Main in a plain JVM: JMH forks benchmark JVMs from java.class.path, which
# `mvn exec:java` does not set. Numbers from a shared or busy machine are noise; read the error.
set -eu
cd "$(dirname "$0")/.."
if [ $# -lt 1 ]
then
    echo "usage: ops/jmh.sh MODULE [JMH options] [BENCHMARK REGEX]" >&2
    exit 2
fi
module=$1
shift
mvn -B -q -pl "$module" -am test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/jmh.classpath -Dmdep.includeScope=test ${MAVEN_ARGS:-}
exec java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
    -cp "$module/target/test-classes:$module/target/classes:$(cat "$module/target/jmh.classpath")" \
    org.openjdk.jmh.Main "$@"
