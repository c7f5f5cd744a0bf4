#!/usr/bin/env bash
# The main job: validate every example scenario, then optimise each with all its variants.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/clusteropt validate scenarios/*.yaml
for s in scenarios/*.yaml; do
  variants=$(.venv/bin/python -c "import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(' '.join('--variant ' + v for v in ['base', *(d.get('variants') or {})]))" "$s")
  # shellcheck disable=SC2086
  .venv/bin/clusteropt run "$s" $variants --quiet
done
