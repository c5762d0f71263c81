"""What an admin looks at next when a claim fails: collected from the lab at the moment of failure,
bounded in time and size, kept as one more observation of the claim (the report folds it)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from labconform.redact import redact_text

COMMAND_TIMEOUT_S = 10
BUDGET_S = 25  # all of one claim's diagnostics
RUN_BUDGET_S = 90  # all of one run's: a lab where everything fails is not read again for every claim
MAX_CHARS = 4000  # each one's text
MAX_CONTAINERS = 3
WHAT = "diagnostics at failure"

# the feature files whose claims are about containers, and those about the cluster
DOCKER = {"10_hello", "20_docker_container", "35_fresh_restart", "40_docker_ce", "50_tomcat_from_dockerhub",
          "55_stopping_tomcat", "60_tomcat_with_root_war", "65_securerandom", "70_multiple_containers"}
KUBERNETES = {"35_fresh_restart", "80_preparing_k8s", "82_installing_k8s", "84_k8s_init", "85_flannel",
              "86_deployment", "87_nodeport", "89_cleaning_up"}


def _clip(text: str) -> str:
    text = redact_text(text.strip())
    return text if len(text) <= MAX_CHARS else text[-MAX_CHARS:] + f"\n[{len(text) - MAX_CHARS} earlier characters]"


class OutOfTime(Exception):
    """The claim's time for diagnostics ran out."""


def _command(lab: Any, deadline: float, line: str, *args: str) -> str:
    """One command on the lab, bounded by what is left of the claim's time (at most COMMAND_TIMEOUT_S)."""
    left = deadline - time.monotonic()
    if left < 1:
        raise OutOfTime()
    res = lab.target.run(line, *args, timeout=max(1, int(min(COMMAND_TIMEOUT_S, left))))
    return _clip(res.stdout + (f"\n[exit {res.rc}] {res.stderr.strip()[-300:]}" if res.rc else ""))


def docker_state(lab: Any, deadline: float) -> dict[str, str]:
    """Every container's state; this run's own containers' `docker inspect` state and last log lines."""
    out = {"docker ps -a": _command(lab, deadline, "docker ps -a --format %s",
                                    "{{.Names}}\t{{.Image}}\t{{.Status}}\t{{.Ports}}")}
    names = _command(lab, deadline, "docker ps -a --filter %s --format %s", f"name={lab.run_name}",
                     "{{.Names}}").split()
    for name in names[:MAX_CONTAINERS]:
        out[f"docker inspect {name} (State)"] = _command(lab, deadline, "docker inspect --format %s %s",
                                                         "{{json .State}}", name)
        out[f"docker logs --tail 20 {name}"] = _command(lab, deadline, "docker logs --tail 20 %s 2>&1", name) \
            or "(no output)"
    return out


def pod_lines(pod: Any) -> list[str]:
    """A pod as `kubectl describe` would start it: phase, address, conditions, each container's state."""
    st = pod.status
    lines = [f"{pod.metadata.name}: {st.phase}, IP {st.pod_ip}, node {pod.spec.node_name}"]
    lines += [f"  condition {c.type}={c.status} {c.reason or ''}" for c in st.conditions or []]
    for cs in st.container_statuses or []:
        # a running container's state has no reason: only waiting and terminated ones do
        state = next((f"{k} {getattr(getattr(cs.state, k), 'reason', None) or ''}".strip()
                      for k in ("waiting", "running", "terminated")
                      if getattr(cs.state, k) is not None), "?")
        lines.append(f"  container {cs.name}: ready={cs.ready} restarts={cs.restart_count} state={state}")
    return lines


def cluster_state(lab: Any, deadline: float) -> dict[str, str]:
    """The nodes' conditions, the default namespace's pods, and the latest events."""
    kube = lab.kube
    nodes = [f"{n.metadata.name}: " + ", ".join(f"{c.type}={c.status}" for c in n.status.conditions or [])
             for n in kube.nodes()]
    pods = kube.items("/api/v1/namespaces/default/pods", "GET pods in default")
    events = kube.items("/api/v1/namespaces/default/events", "GET events in default")
    events.sort(key=lambda ev: str(ev.last_timestamp or ev.event_time or ev.metadata.creation_timestamp))
    return {
        "nodes": _clip("\n".join(nodes)),
        "pods (default)": _clip("\n".join(line for p in pods for line in pod_lines(p)) or "no pods"),
        "events (default, last 15)": _clip("\n".join(
            f"{ev.last_timestamp or ev.event_time} {ev.type} {ev.reason} {ev.involved_object.kind}/"
            f"{ev.involved_object.name}: {ev.message}" for ev in events[-15:]) or "no events"),
    }


def journals(lab: Any, deadline: float, units: list[str]) -> dict[str, str]:
    return {f"journalctl -u {u} -n 30": _command(lab, deadline, "journalctl -u %s -n 30 --no-pager -o short-iso", u)
            for u in units}


def collect(lab: Any, feature_file: str, spent_s: float = 0) -> dict[str, str]:
    """The diagnostics that fit a claim of this feature file; one that cannot be had says why. `spent_s`:
    what the run has spent on diagnostics so far."""
    if spent_s >= RUN_BUDGET_S:
        return {"skipped": f"not collected: this run spent its {RUN_BUDGET_S} s for diagnostics on earlier claims"}
    stem = Path(feature_file).stem
    wanted: list[tuple[str, Any]] = []
    units = []
    if stem in DOCKER:
        wanted.append(("containers", docker_state))
        units.append("docker")
    if stem in KUBERNETES:
        wanted.append(("cluster", cluster_state))
        units.append("kubelet")
    if units:
        wanted.append(("journal", lambda lab, deadline: journals(lab, deadline, units)
                       if lab.target.facts.systemd_is_init else {}))
    out: dict[str, str] = {}
    deadline = time.monotonic() + min(BUDGET_S, RUN_BUDGET_S - spent_s)
    for name, fn in wanted:
        try:
            out.update(fn(lab, deadline))
        except OutOfTime:
            out[name] = f"not collected: the time for this claim's diagnostics ({BUDGET_S} s at most) ran out"
        except Exception as exc:  # noqa: BLE001 - the thing that failed may be what they would read
            out[name] = _clip(f"not collected: {type(exc).__name__}: {exc}")
    return out
