#!/usr/bin/env bash
# What CI runs, fastest first: the project's unit and plugin tests (no lab: a broken import fails here in
# a minute, and nothing else runs); provision this machine as the lab and check every claim (all must
# pass, be not applicable, or be waived by the lab's waiver file); the same for a lab node (a container
# booting systemd, reached over SSH); the lab and fault tests; then the document's clean-up (destructive
# claims) and provisioning again. Fails on anything else. Each part says how long it took.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"  # sets $top, the checkout
cd "$top"
waivers=labs/debian-offline/waivers.yaml
status=0
mkdir -p reports

echo "== the project's tests without a lab: pytest tests/unit tests/plugin -n 2 (two workers: no lab is shared)"
t0=$SECONDS
pytest tests/unit tests/plugin -q -n 2 \
    || { echo "labconform: the unit or plugin tests failed: nothing else is run" >&2; exit 1; }
echo "== the unit and plugin tests took $((SECONDS - t0)) s"

echo "== provisioning this machine as the lab (python -m provision)"
t0=$SECONDS
python -m provision --lease-wait 900 | tee reports/provision.log || { echo "labconform: provisioning failed" >&2; exit 1; }
echo "== provisioning took $((SECONDS - t0)) s"
grep -E "built from Debian's source|  kubeadm init  " reports/provision.log || true

echo "== the claims, the document's and the lab's own: pytest features/ labs/debian-offline/features/ --waivers $waivers"
t0=$SECONDS
pytest features/ labs/debian-offline/features/ --waivers "$waivers" || status=1
echo "== the claims took $((SECONDS - t0)) s; report: reports/latest/index.html"

node=${LABCONFORM_NODE:-lab1}
echo "== the lab node $node: started, provisioned over SSH, checked"
t0=$SECONDS
if python -m provision.node up "$node" --lease-wait 900 | tee reports/node-up.log; then
    mapfile -t reach < <(python -m provision.node args "$node")
    [ ${#reach[@]} -eq 6 ] || { echo "labconform: cannot tell how to reach node $node" >&2; exit 1; }
    python -m provision "${reach[@]}" --lab-params labs/node/params.yaml --lease-wait 900 \
        | tee reports/node-provision.log || { echo "labconform: provisioning the node failed" >&2; status=1; }
    pytest features/ labs/node/features/ "${reach[@]}" --lab-params labs/node/params.yaml \
        --waivers labs/node/waivers.yaml || status=1
    echo "== the node's destructive claims (a reboot, then the document's clean-up), then provisioning again"
    pytest features/ "${reach[@]}" --lab-params labs/node/params.yaml --waivers labs/node/waivers.yaml \
        --destructive -m destructive || status=1
    python -m provision "${reach[@]}" --lab-params labs/node/params.yaml --lease-wait 900 > reports/node-reprovision.log \
        || { tail -20 reports/node-reprovision.log; status=1; }
    tail -1 reports/node-reprovision.log
    pytest features/ "${reach[@]}" --lab-params labs/node/params.yaml --waivers labs/node/waivers.yaml \
        -m "not destructive" -k "k8s or restart" || status=1
else
    echo "labconform: the lab node is not up" >&2; status=1
fi
echo "== the lab node took $((SECONDS - t0)) s"

echo "== the project's lab tests: pytest tests/lab"
t0=$SECONDS
pytest tests/lab --durations=15 || status=1
echo "== the lab tests took $((SECONDS - t0)) s"
echo "== the project's fault tests (they break this lab and restore it): pytest tests/faults"
t0=$SECONDS
pytest tests/faults --durations=15 || status=1
echo "== the fault tests took $((SECONDS - t0)) s"

echo "== the clean-up claims (destructive, last), then provisioning again"
t0=$SECONDS
pytest features/ --destructive -m destructive --waivers "$waivers" || status=1
python -m provision --lease-wait 900 > reports/reprovision.log || { tail -20 reports/reprovision.log; status=1; }
tail -1 reports/reprovision.log
pytest features/ -m "not destructive" -k "k8s" --waivers "$waivers" || status=1
echo "== clean-up and re-provisioning took $((SECONDS - t0)) s"
exit $status
