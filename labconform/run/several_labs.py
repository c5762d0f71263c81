"""Several labs in one run: pytest-xdist runs every claim on one worker per --target (--dist each);
each worker writes its own lab's run, the controller writes the combined one with each claim's target."""

from __future__ import annotations

from typing import Any

import pytest

from labconform.results.document import ClaimResult


def targets_of(config: pytest.Config) -> list[str]:
    value = config.getoption("target")
    if isinstance(value, str):
        return [value]
    return list(value or ["local"])


def worker_index(config: pytest.Config) -> int | None:
    info = getattr(config, "workerinput", None)
    return int(str(info["workerid"]).removeprefix("gw")) if info else None


def several(config: pytest.Config) -> bool:
    return len(targets_of(config)) > 1


def check_layout(config: pytest.Config) -> None:
    """Several targets need pytest-xdist with one worker per target, each running every claim."""
    n = len(targets_of(config))
    if n < 2 or worker_index(config) is not None:
        return
    want = f"-n {n} --dist each"
    try:
        procs, dist = config.getoption("numprocesses"), config.getoption("dist")
    except ValueError:
        raise pytest.UsageError(f"{n} --target options: needs pytest-xdist, run with {want}") from None
    if procs != n or dist != "each":
        raise pytest.UsageError(f"{n} --target options: run them with {want} (one pytest-xdist worker per lab)")


def target_spec(config: pytest.Config) -> str:
    targets = targets_of(config)
    i = worker_index(config)
    return targets[i % len(targets)] if i is not None and len(targets) > 1 else targets[0]


def run_name(config: pytest.Config, own: str) -> str:
    """A worker's run is named after the whole run and its lab's place: containers never collide."""
    info = getattr(config, "workerinput", None)
    if info and "lc_run" in info and several(config):
        return f"{info['lc_run']}-t{worker_index(config)}"
    return own


def combine(name: str, outputs: list[dict[str, Any]]) -> tuple[dict[str, Any], list[ClaimResult]]:
    """The run's target record and its claims from every worker; a claim's id carries its lab."""
    outputs = sorted(outputs, key=lambda o: o["index"])
    claims = []
    for out in outputs:
        for doc in out["claims"]:
            fields = {k: v for k, v in doc.items() if k not in ("impact", "mode")}
            fields["id"] = f"{doc['id']}@{doc['target']}"
            claims.append(ClaimResult(**fields))
    targets = [dict(o["meta"]["target"], run=o["meta"]["name"]) for o in outputs]
    lost = "; ".join(t["unreachable"] for t in targets if t.get("unreachable")) or None
    target = {
        "spec": " ".join(t["spec"] for t in targets),
        "name": "+".join(t["name"] for t in targets),
        "unreachable": lost,
        "facts": None,
        "docker_version": None,
        "kubernetes_version": None,
        "targets": targets,
    }
    return target, claims
