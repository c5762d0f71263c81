#!/usr/bin/env bash
# What CI runs: provision the lab, check every claim (all must pass or be not applicable), then the
# project's own tests. Fails on anything else.
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
source scripts/setup.sh
status=0
echo "== provisioning this machine as the lab"
t0=$SECONDS
python -m provision || { echo "labconform: provisioning failed" >&2; exit 1; }
echo "== provisioning took $((SECONDS - t0)) s"
echo "== the claims: pytest features/"
t0=$SECONDS
pytest features/ || status=1
echo "== the claims took $((SECONDS - t0)) s"
echo "== the project's tests: pytest tests/"
t0=$SECONDS
pytest tests/ || status=1
echo "== the tests took $((SECONDS - t0)) s"
exit $status
