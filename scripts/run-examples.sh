#!/usr/bin/env bash
# The main job: validate every example scenario, then compare each one's variants side by side
# (ranked by annual cost, with truck-km, CO2 and the savings split against today).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/clusteropt validate scenarios/*.yaml
for s in scenarios/*.yaml; do
  echo
  echo "== $s"
  .venv/bin/clusteropt compare "$s" "$@"
done
