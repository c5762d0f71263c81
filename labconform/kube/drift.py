"""Drift between a manifest and the cluster, in the sense of `kubectl diff`: the object the API server would
store for the file (a server-side dry run, so its defaults are filled in) against the live object, field by
field. A field that someone added with `kubectl edit` or `kubectl set env` is drift, although the file never
names it. Pure functions over the JSON the API server sends, shared by the claims and by provisioning."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from labconform.judged import Judged

# written by the server or by kubectl itself, never by the file
SERVER_ANNOTATIONS = frozenset({"deployment.kubernetes.io/revision",
                                "kubectl.kubernetes.io/last-applied-configuration"})
# `kubectl rollout restart` stamps the pod template: new pods, the same settings
TEMPLATE_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/restartedAt"})
KINDS = ("Deployment", "Service")


def dry_run_body(manifest: dict[str, Any], live: dict[str, Any] | None) -> dict[str, Any]:
    """The body of a dry-run replace of `live` by the file: a Service keeps the addresses and node ports the
    server allocated when the file leaves them out (they cannot be chosen again on an update)."""
    if manifest.get("kind") not in KINDS:
        raise ValueError(f"no dry run for kind {manifest.get('kind')!r}; one of {', '.join(KINDS)}")
    body = copy.deepcopy(manifest)
    if manifest["kind"] == "Service" and live:
        spec, have = body.setdefault("spec", {}), live.get("spec") or {}
        for key in ("clusterIP", "clusterIPs"):
            if key in have:
                spec.setdefault(key, have[key])
        by_port = {p.get("port"): p.get("nodePort") for p in have.get("ports") or []}
        for port in spec.get("ports") or []:
            if by_port.get(port.get("port")) and "nodePort" not in port:
                port["nodePort"] = by_port[port["port"]]
    return body


def comparable(obj: dict[str, Any]) -> dict[str, Any]:
    """What of an object the file decides: its labels, its annotations but the server's, its spec."""
    meta = obj.get("metadata") or {}
    spec = copy.deepcopy(obj.get("spec") or {})
    template_meta = (spec.get("template") or {}).get("metadata")
    if isinstance(template_meta, dict):
        kept = {k: v for k, v in (template_meta.get("annotations") or {}).items() if k not in TEMPLATE_ANNOTATIONS}
        template_meta.pop("annotations", None)
        template_meta.pop("creationTimestamp", None)
        if kept:
            template_meta["annotations"] = kept
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in SERVER_ANNOTATIONS}
    return {"labels": meta.get("labels") or {}, "annotations": annotations, "spec": spec}


def differences(want: Any, have: Any, path: str = "") -> list[str]:
    """Every path where `have` differs from `want`, both ways: a field only one side has is a difference."""
    if isinstance(want, dict) and isinstance(have, dict):
        out: list[str] = []
        for key in sorted(set(want) | set(have)):
            out += differences(want.get(key), have.get(key), f"{path}.{key}")
        return out
    if isinstance(want, list) and isinstance(have, list) and len(want) == len(have):
        return [d for i, (w, h) in enumerate(zip(want, have, strict=True)) for d in differences(w, h, f"{path}[{i}]")]
    if want != have:
        return [f"{path or '.'}: file {short(want)}, cluster {short(have)}"]
    return []


def short(value: Any, limit: int = 120) -> str:
    text = "absent" if value is None else repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def drift(would_store: dict[str, Any], live: dict[str, Any] | None) -> list[str]:
    """The differences between what the server would store for the file and what it holds; an object the
    cluster lacks is one difference."""
    if live is None:
        return ["absent from the cluster"]
    return differences(comparable(would_store), comparable(live))


def observe(kube: Any, docs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each object of the file (kind/name) and its drift, through one `KubeLab`."""
    out: dict[str, list[str]] = {}
    for doc in docs:
        live = kube.live(doc)
        would = kube.would_store(dry_run_body(doc, live)) if live is not None else {}
        out[f"{doc['kind']}/{doc['metadata']['name']}"] = drift(would, live)
    return out


def judge(path: str, drifts: dict[str, list[str]]) -> Judged:
    """No object of the file drifted (and the file has objects)."""
    return Judged(bool(drifts) and not any(drifts.values()), f"drift between {path} and the cluster", "none",
                  drifts or f"no object in {path}",
                  f"read {path}; for each object a server-side dry-run replace (dryRun=All, as kubectl diff) "
                  "against GET of the live object: labels, annotations and spec compared field by field")


def judge_file(path: str, text: str | None, manifest: str) -> Judged:
    """Whether the file's text (None: absent) holds the document's `manifest`, both parsed as YAML documents."""
    found = list(yaml.safe_load_all(text)) if text is not None else f"{path} absent"
    expected = list(yaml.safe_load_all(manifest))
    return Judged(expected == found, path, expected, found, f"read {path}; both parsed as YAML")
