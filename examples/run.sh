#!/usr/bin/env bash
# Runs one example by class name, e.g.  examples/run.sh ZeroTrainerExample
# Builds the modules it needs on first use (and when a source is newer than the examples jar).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME="${1:-}"
if [ -z "$NAME" ]; then
  echo "usage: examples/run.sh <GraphFitExample|ZeroTrainerExample|Fp16OffloadExample|ScheduleExample>" >&2
  exit 2
fi
cd "$ROOT"
JAR="$ROOT/examples/target/examples-0.1.0-SNAPSHOT.jar"
if [ ! -f "$JAR" ] || [ -n "$(find "$ROOT" -path "$ROOT/*/src/main/*" -newer "$JAR" -type f -print -quit)" ]; then
  echo "examples: building (first use or sources changed)..." >&2
  mvn -B -q -Dstyle.color=never -pl examples -am install -DskipTests >&2
fi
exec mvn -B -q -Dstyle.color=never -pl examples exec:java -Dexec.mainClass="io.ds4j.examples.$NAME" \
  -Dorg.bytedeco.javacpp.cachedir="$ROOT/target/javacpp-cache"
