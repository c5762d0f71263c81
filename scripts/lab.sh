#!/usr/bin/env bash
# The main job. By default: a lab node (a container on this machine booting systemd, standing in for the
# document's VM) built and started, provisioned over SSH, every claim checked against it, the report written.
# `--local` first: this machine itself as the lab instead. Other arguments go to pytest (-m active, -k ...).
# LABCONFORM_NODE names the node (default lab1).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"  # sets $top, the checkout
cd "$top"
if [ "${1:-}" = --local ]; then
    shift
    echo "== provisioning this machine as the lab (python -m provision)"
    python -m provision --lease-wait 900 || { echo "labconform: provisioning failed" >&2; exit 1; }
    echo "== checking the claims (pytest features/ labs/debian-offline/features/: the document's and the lab's own)"
    exec pytest features/ labs/debian-offline/features/ --waivers labs/debian-offline/waivers.yaml "$@"
fi
node=${LABCONFORM_NODE:-lab1}
echo "== the lab node $node on this machine (python -m provision.node up $node)"
python -m provision.node up "$node" --lease-wait 900 || { echo "labconform: the lab node is not up" >&2; exit 1; }
mapfile -t reach < <(python -m provision.node args "$node")
[ ${#reach[@]} -eq 6 ] || { echo "labconform: cannot tell how to reach node $node" >&2; exit 1; }
echo "== provisioning the node over SSH (python -m provision ${reach[*]})"
python -m provision "${reach[@]}" --lab-params labs/node/params.yaml --lease-wait 900 \
    || { echo "labconform: provisioning the node failed" >&2; exit 1; }
echo "== checking the claims against the node (pytest features/ labs/node/features/ ${reach[*]})"
exec pytest features/ labs/node/features/ "${reach[@]}" --lab-params labs/node/params.yaml --waivers labs/node/waivers.yaml "$@"
