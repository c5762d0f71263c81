"""hw-deploy as /app/cluster.yaml has it, and done only when its claims would pass now: no drift as `kubectl diff`
sees it (a server-side dry run), the rollout finished, and each pod answering with its own name.

A repair replaces the live object by the file (`kubectl apply` keeps a field someone added by hand). On a node
with no room for the extra pod a rolling update starts (the document's 2 cores), the replacement rolls out one
pod at a time (maxSurge 0, maxUnavailable 1), then the file's own strategy is put back: that second replace
changes no pod."""

from __future__ import annotations

import re
from typing import Any

import yaml

from labconform.kube import drift, rollout
from provision.core import Step, StepFailed
from provision.kubernetes.cluster import DEPLOYMENT, MANIFEST, Cluster, wait_until

# the file with the one-pod-at-a-time strategy, written beside it for the length of a repair
ONE_AT_A_TIME = "/app/.cluster.one-at-a-time.yaml"
ROLLOUT_TIMEOUT_S = 180
POD_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")


def deployment_step(ctx: Any, k: Cluster) -> Step:
    would_cmd = f"{k.kubectl} replace --dry-run=server -f {MANIFEST} -o json --request-timeout=10s"

    def check() -> tuple[bool, str]:
        live = k.get(f"deployment {DEPLOYMENT}")
        if live is None:
            return False, f"{DEPLOYMENT} absent"
        would = k.json(would_cmd)
        if would is None:
            return False, f"the API server's dry run of {MANIFEST} failed"
        differs = drift.drift(would, live)
        if differs:
            return False, f"{DEPLOYMENT} differs from {MANIFEST}: {'; '.join(differs)[:300]}"
        unfinished = rollout.in_progress(live)
        if unfinished:
            return False, f"{DEPLOYMENT}: rollout under way: {'; '.join(unfinished)}"
        pods = k.pods()
        off = rollout.pods_off_template(live, pods)
        if off:
            return False, f"{DEPLOYMENT}: pods not as its template: {', '.join(f'{p} ({f})' for p, f in off.items())}"
        ok, answers = k.pods_answering(live["spec"]["replicas"], pods)
        return ok, f"{DEPLOYMENT} as in {MANIFEST}, rollout finished, {answers}" if ok else f"{DEPLOYMENT}: {answers}"

    def apply() -> None:
        live = k.get(f"deployment {DEPLOYMENT}")
        if live is None:
            roll_out(ctx, k, "apply", MANIFEST)
        elif no_room(ctx, k, live):
            ctx.put(ONE_AT_A_TIME, one_at_a_time(ctx.state.text(MANIFEST) or ""))
            try:
                roll_out(ctx, k, "replace --save-config", ONE_AT_A_TIME)
            finally:
                ctx.sh(f"rm -f {ONE_AT_A_TIME}", quiet=True)
            roll_out(ctx, k, "replace --save-config", MANIFEST)
        else:
            roll_out(ctx, k, "replace --save-config", MANIFEST)
        live = k.get(f"deployment {DEPLOYMENT}") or {}
        for pod in rollout.pods_off_template(live, k.pods()):  # changed by hand: its ReplicaSet makes it anew
            ctx.sh(f"{k.kubectl} delete pod {pod_name(pod)} --wait=true --timeout=60s", timeout=80)
        replicas = live.get("spec", {}).get("replicas", 0)
        wait_until(ctx, lambda: k.pods_answering(replicas)[0], 120,
                   f"each pod of {DEPLOYMENT} answering at its address")

    return Step(DEPLOYMENT, ("k8s-app-02", "k8s-app-03", "k8s-app-04", "k8s-app-05", "k8s-app-06", "k8s-app-08"),
                check, apply,
                (f"kubectl apply -f {MANIFEST}  (absent)", f"kubectl replace --save-config -f {MANIFEST}  (drifted)",
                 f"kubectl rollout status deployment/{DEPLOYMENT}", "curl http://<each pod IP>:8080/"))


def no_room(ctx: Any, k: Cluster, live: dict[str, Any]) -> bool:
    """No node has room for the Deployment's surge pods beside what runs: said, and rolled out one at a time."""
    seen = rollout.room(live, k.nodes(), (k.get("pods --all-namespaces") or {}).get("items", []))
    fit = sum(n["surge pods that fit"] for n in seen["nodes"].values())
    if fit < seen["surge pods"]:
        free = ", ".join(f"{n}: {rollout.show(f['free'])} free" for n, f in seen["nodes"].items())
        ctx.say(f"no room for {seen['surge pods']} surge pod(s) of {rollout.show(seen['each needs'])} ({free}): "
                "rolling out one pod at a time")
        return True
    return False


def roll_out(ctx: Any, k: Cluster, verb: str, path: str) -> None:
    ctx.sh(f"{k.kubectl} {verb} -f {path}",
           f"{k.kubectl} rollout status deployment/{DEPLOYMENT} --timeout={ROLLOUT_TIMEOUT_S}s",
           timeout=ROLLOUT_TIMEOUT_S + 20)


def pod_name(name: str) -> str:
    """A pod's name as the API server sent it, checked before it reaches a command line."""
    if not POD_NAME.fullmatch(name):
        raise StepFailed(f"pod name {name!r} is not a DNS-1123 subdomain")
    return name


def one_at_a_time(text: str) -> bytes:
    """The file's Deployment with a strategy that needs no room for an extra pod."""
    docs = [d for d in yaml.safe_load_all(text) if d]
    deployments = [d for d in docs if d.get("kind") == "Deployment" and d["metadata"]["name"] == DEPLOYMENT]
    if not deployments:
        raise StepFailed(f"{MANIFEST} holds no Deployment {DEPLOYMENT}")
    deployments[0].setdefault("spec", {})["strategy"] = {
        "type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
    return yaml.safe_dump_all(docs, sort_keys=False).encode()
