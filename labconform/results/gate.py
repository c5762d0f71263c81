"""The gate: compare a run with a baseline claim by claim, and decide whether the run fails (docs/gate.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IMPACTS = ("low", "medium", "high")
# in the order a reader wants them: what broke first
CHANGES = ("regressed", "still_failing", "fixed", "new", "unchanged", "not_run")
CHANGE_LABELS = {
    "regressed": "regressed",
    "still_failing": "still failing",
    "fixed": "fixed",
    "new": "new",
    "unchanged": "unchanged",
    "not_run": "not in this run",
}
OK = ("passed", "not_applicable")
BAD = ("failed", "error")


def _state(verdict: str) -> str:
    """ok, bad, or waived (a failure someone accepted)."""
    if verdict in OK:
        return "ok"
    return "waived" if verdict == "waived" else "bad"


def classify(was: str | None, now: str) -> str:
    """How a claim moved since the baseline. A waived claim is still a failure for the diff:
    passed -> waived is a regression (that the waiver keeps from failing the run)."""
    if was is None:
        return "new"
    before, after = _state(was), _state(now)
    if after == "ok":
        return "unchanged" if before == "ok" else "fixed"
    return "regressed" if before == "ok" else "still_failing"


def compare(claims: Iterable[dict[str, Any]], baseline: dict[str, Any], path: str | Path) -> dict[str, Any]:
    """The claim-by-claim diff of a run (claim dicts as in results.json) against a baseline document."""
    before = {c["id"]: c for c in baseline.get("claims", [])}
    per_claim: dict[str, dict[str, Any]] = {}
    groups: dict[str, list[str]] = {k: [] for k in CHANGES}
    seen: set[str] = set()
    for c in claims:
        key = baseline_key(c, before)
        was = before[key]["verdict"] if key is not None else None
        seen.add(key or "")
        change = classify(was, c["verdict"])
        per_claim[c["id"]] = {"change": change, "was": was}
        groups[change].append(c["id"])
    groups["not_run"] = [cid for cid in before if cid not in seen]
    run = baseline.get("run", {})
    return {
        "path": str(path),
        "name": run.get("name"),
        "started": run.get("started"),
        "counts": baseline.get("counts"),
        "claims": per_claim,
        "groups": groups,
    }


def baseline_key(claim: dict[str, Any], before: dict[str, Any]) -> str | None:
    """The baseline claim a claim is compared with. Several labs in one run name a claim
    `<id>@<target>`: such a claim matches the same lab's claim of a baseline of several labs, or
    the claim of a one-lab baseline (every lab against one known-good run); a one-lab run's claim
    matches its own lab's claim in a baseline of several labs."""
    cid, target = claim["id"], claim.get("target") or ""
    keys = [cid]
    if target and cid.endswith(f"@{target}"):
        keys.append(cid[: -len(target) - 1])
    elif target:
        keys.append(f"{cid}@{target}")
    return next((k for k in keys if k in before), None)


@dataclass
class Decision:
    """Whether the run passes the gate, and every reason it does not."""

    failed: bool
    reasons: list[str] = field(default_factory=list)
    # the same reasons as data: {"why": "1 regression(s) against the baseline b", "claims": ["a"]}
    items: list[dict[str, Any]] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)
    waived_regressions: list[str] = field(default_factory=list)
    below_threshold: list[str] = field(default_factory=list)

    def add(self, why: str, claims: list[str]) -> None:
        self.items.append({"why": why, "claims": claims})
        self.reasons.append(f"{why}: {', '.join(claims)}" if claims else why)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "failed" if self.failed else "passed",
            "reasons": self.reasons,
            "failures": self.items,
            "regressions": self.regressions,
            "waived_regressions": self.waived_regressions,
            "failed_below_threshold": self.below_threshold,
        }


def decide(
    claims: list[dict[str, Any]],
    diff: dict[str, Any] | None,
    fail_on_impact: str = "low",
    other_failures: int = 0,
) -> Decision:
    """The run fails on: an unwaived regression against the baseline (whatever its impact); a failed
    claim of `fail_on_impact` or above; any error (a claim that could not be evaluated proves nothing);
    a failing test that is not a claim. Waived claims never fail it."""
    floor = IMPACTS.index(fail_on_impact)
    d = Decision(failed=False)
    if diff is not None:
        for cid in diff["groups"]["regressed"]:
            verdict = next(c["verdict"] for c in claims if c["id"] == cid)
            (d.waived_regressions if verdict == "waived" else d.regressions).append(cid)
        if d.regressions:
            d.add(f"{len(d.regressions)} regression(s) against the baseline {diff['path']}", d.regressions)
    errors = [c["id"] for c in claims if c["verdict"] == "error"]
    if errors:
        d.add(f"{len(errors)} claim(s) could not be evaluated (error)", errors)
    failing = [c for c in claims if c["verdict"] == "failed"]
    at_or_above = [c["id"] for c in failing if IMPACTS.index(_impact(c)) >= floor]
    d.below_threshold = [c["id"] for c in failing if IMPACTS.index(_impact(c)) < floor]
    if at_or_above:
        what = "failed claim(s)" if floor == 0 else f"failed claim(s) of impact {fail_on_impact} or above"
        d.add(f"{len(at_or_above)} {what}", at_or_above)
    if other_failures:
        d.add(f"{other_failures} test(s) that are not claims failed", [])
    d.failed = bool(d.reasons)
    return d


def _impact(claim: dict[str, Any]) -> str:
    impact = claim.get("impact", "medium")
    return impact if impact in IMPACTS else "medium"
