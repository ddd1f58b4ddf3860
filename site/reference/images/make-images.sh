#!/usr/bin/env bash
# Regenerates the site's pictures (site/static/img/), all from ds4j's own commands:
#   bench/  the PNGs of examples/bench-results/ (bin/ds4j bench train|memory|capacity --out examples/bench-results)
#   zero/   one memory picture per ZeRO stage from examples/bench-results/bench-memory.csv (MemoryStageCharts.java)
#   lr/     bin/ds4j lr --plot for each of the five schedules (configs next to this script)
#   sweep/results.png  bin/ds4j sweep sweep.json (6 short trainings)
#   precision/loss-scale.png  the loss_scale file of csv_monitor from an fp16 run of bin/ds4j train, plotted by
#           CsvChart.java with XChart
# Run from anywhere; takes a minute or two (it trains 300 steps).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
HERE="$ROOT/site/reference/images"
IMG="$ROOT/site/static/img"
cd "$ROOT"
mkdir -p "$IMG/bench" "$IMG/lr" "$IMG/precision" "$IMG/zero" "$IMG/sweep"
cp examples/bench-results/bench-train.png examples/bench-results/bench-memory.png \
  examples/bench-results/bench-capacity.png "$IMG/bench/"
for s in warmup-lr warmup-decay-lr warmup-cosine-lr one-cycle lr-range-test; do
  bin/ds4j lr --steps 0..1000 --plot "$IMG/lr/$s.png" "$HERE/$s.json" > /dev/null
done
CP="dl4j-adapter/target/ds4j.jar:dl4j-adapter/target/lib/*"
java -cp "$CP" "$HERE/MemoryStageCharts.java" examples/bench-results/bench-memory.csv "$IMG/zero"
rm -rf target/site-images
bin/ds4j train --steps 300 --world-size 2 "$HERE/fp16-loss-scale.json" > target/site-images.log 2>&1 \
  || { tail -20 target/site-images.log >&2; exit 1; }
CSV="$(find target/site-images/csv -name '*loss_scale*' | head -1)"
[ -n "$CSV" ] || { echo "no loss_scale file under target/site-images/csv" >&2; exit 1; }
cp "$CSV" "$IMG/precision/loss-scale.csv"
java -cp "$CP" "$HERE/CsvChart.java" "$CSV" \
  "$IMG/precision/loss-scale.png" "fp16 dynamic loss scale, bin/ds4j train (ZeRO-2, 2 ranks)" "loss scale" log
rm -rf target/site-sweep
bin/ds4j sweep "$HERE/sweep.json" > target/site-sweep.txt
cp target/site-sweep/results.png "$IMG/sweep/results.png"
ls -la "$IMG"/*/
