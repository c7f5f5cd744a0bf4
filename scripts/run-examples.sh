#!/usr/bin/env bash
# The main job: validate every example scenario, then compare the Verkassen relocation options
# (ranked by annual cost, with truck-km, CO2, the savings split against today and the lead
# time to the auctions and the traders). `scripts/run-examples.sh --all` compares every case.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/clusteropt validate scenarios/*.yaml
echo
echo "== Verkassen: greenhouse growers from Westland and Aalsmeer to the new areas"
.venv/bin/clusteropt compare scenarios/verkassen.yaml \
  --lead-time-to auction-aalsmeer --lead-time-to auction-naaldwijk \
  --lead-time-to trader-barendrecht
if [ "${1:-}" = "--all" ]; then
  for s in scenarios/*.yaml; do
    [ "$s" = scenarios/verkassen.yaml ] && continue
    echo
    echo "== $s"
    .venv/bin/clusteropt compare "$s"
  done
fi
