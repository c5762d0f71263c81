"""`python -m provision --claims ID[,ID...]`: the steps that own those claims and the steps they build
on, then the claims checked again by the suite (README, "Repairing claims")."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labconform.commands import suite_process
from labconform.errors import UsageError
from labconform.results.document import load
from labconform.run.collection import ID_FORM, ID_TAG
from provision.core import Plan, Step, show

REPO = Path(__file__).resolve().parent.parent
FEATURES = REPO / "features"
# the verdicts that leave an asked claim repaired: the gate's reading (docs/gate.md)
GOOD = ("passed", "waived", "not_applicable")
VERIFY_TIMEOUT_S = 1800.0
NOT_CHECKED = ("a destructive claim changes the lab: --claims does not run it "
               "(pytest features/ --destructive does, under the lease)")


def known_ids(features: Path = FEATURES) -> set[str]:
    """Every @id written in the feature files."""
    found: set[str] = set()
    for f in sorted(features.glob("*.feature")):
        found.update(ID_TAG.findall(f.read_text(errors="replace")))
    return found


def parse_ids(text: str, known: set[str]) -> list[str]:
    """The asked claim ids, in the order given, once each; a usage error names every unknown one."""
    ids = list(dict.fromkeys(p.strip().removeprefix("id:") for p in text.split(",") if p.strip()))
    if not ids:
        raise UsageError("--claims: no claim id given (--claims ID[,ID...], the ids of the @id tags in features/)")
    unknown = [i for i in ids if i not in known or not ID_FORM.fullmatch(i)]
    if unknown:
        raise UsageError(f"--claims: unknown claim id(s) {', '.join(unknown)}: no @id tag in features/ has them")
    return ids


@dataclass
class Selection:
    """The steps one --claims run walks, in plan order, and why each is there."""

    ids: list[str]
    steps: list[Step] = field(default_factory=list)
    owners: dict[str, list[Step]] = field(default_factory=dict)  # asked claim -> every step naming it

    @property
    def unowned(self) -> list[str]:
        return [i for i in self.ids if not self.owners.get(i)]

    def owns(self, step: Step) -> list[str]:
        return [i for i in self.ids if any(s is step for s in self.owners.get(i, ()))]


def select(plan: Plan, ids: list[str]) -> Selection:
    """The rule: every step that names an asked claim, and every earlier step of the same part of the
    plan (host, docker, kubernetes). Plan.run applies an earlier step only when its check fails, so
    an earlier step already in place costs its check and nothing else. Steps after the last owner of
    a part, and the parts with no owner, are not touched."""
    sel = Selection(ids, owners={i: [s for s in plan.steps if i in s.claims] for i in ids})
    last: dict[str, int] = {}  # part -> index of its last owner step
    for n, step in enumerate(plan.steps):
        if sel.owns(step):
            last[step.section] = n
    sel.steps = [s for n, s in enumerate(plan.steps) if n <= last.get(s.section, -1)]
    return sel


def describe(sel: Selection, out: Any = None) -> None:
    """Say which step owns each asked claim, which claims no step owns, and what will be walked."""
    for cid in sel.ids:
        owners = sel.owners.get(cid)
        if owners:
            names = ", ".join(f"'{s.name}' ({s.section})" for s in owners)
            show(f"  {cid}: owned by {names}", out)
        else:
            show(f"  {cid}: no provisioning step owns this claim; nothing is run for it, it is only checked", out)
    owner_steps = sum(1 for s in sel.steps if sel.owns(s))
    show(f"steps: {owner_steps} owner step(s) and {len(sel.steps) - owner_steps} earlier step(s) of the same "
         "part(s), each applied only if its check fails", out)


def pytest_argv(ids: list[str], args: Any, run_name: str) -> list[str]:
    """The suite run that checks the asked claims again: selected by their id markers (exact, where
    -k "id:x" would also match "id:x0"), against the same lab, reached the same way."""
    expr = suite_process.id_marks(ids)
    argv = [sys.executable, "-m", "pytest", "features/", "-q", "-m", expr, "--run-name", run_name,
            "--reports-dir", str(Path(args.reports_dir).resolve()), "--target", args.target]
    for opt, val in (("--ssh-identity", args.ssh_identity), ("--known-hosts", args.known_hosts),
                     ("--lab-params", args.lab_params), ("--waivers", args.waivers)):
        if val:  # the suite runs in the repository: a path as the caller typed it is resolved here
            argv += [opt, str(Path(val).resolve())]
    if args.accept_host_key:
        argv.append("--accept-host-key")
    return argv


def verify(ids: list[str], args: Any, out: Any = None) -> dict[str, list[tuple[str, str, str]]]:
    """Run the asked claims and say each one's verdict; returns {asked id: [(claim id, verdict, reason)]}
    (an Outline's rows are claims of one id). A claim the run did not report is an error."""
    run_name = time.strftime("repair-%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{os.getpid()}"
    argv = pytest_argv(ids, args, run_name)
    show(f"checking the claims: python -m pytest {shlex.join(argv[3:])}", out)
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        said, _ = proc.communicate(timeout=VERIFY_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.terminate()  # pytest ends on SIGTERM like on Ctrl-C: the run's containers are removed
        try:
            said, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            said, _ = proc.communicate()
        said = f"{said}\nstopped after {VERIFY_TIMEOUT_S:g} s"
    except BaseException:  # Ctrl-C reaches pytest too: let it clean up, bounded, then stop
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        raise
    folder = Path(args.reports_dir) / run_name
    try:
        claims = load(folder / "results.json")["claims"]
    except (OSError, ValueError, KeyError) as exc:
        for line in (said or "").strip().splitlines()[-15:]:
            show(f"  | {line}", out)
        why = f"the suite wrote no results (exit {proc.returncode}: {type(exc).__name__})"
        return {i: [(i, "error", why)] for i in ids}
    found: dict[str, list[tuple[str, str, str]]] = {}
    for c in claims:
        verdict, reason = c["verdict"], c.get("reason") or ""
        if c.get("mode") == "destructive":  # skipped without --destructive: that is no verdict on the lab
            verdict, reason = "not_checked", NOT_CHECKED
        found.setdefault(c["id"].split("[", 1)[0], []).append((c["id"], verdict, reason))
    show(f"report: {folder / 'index.html'}", out)
    return {i: found.get(i) or [(i, "error", "the suite did not run this claim")] for i in ids}


def say_verdicts(verdicts: dict[str, list[tuple[str, str, str]]], out: Any = None) -> bool:
    """One line per claim; True when every asked claim is passed, waived or not applicable."""
    show("claims now:", out)
    good = True
    for rows in verdicts.values():
        for cid, verdict, reason in rows:
            first = reason.strip().splitlines()[0][:200] if verdict != "passed" and reason.strip() else ""
            show(f"{verdict:>16}  {cid}{': ' + first if first else ''}", out)
            good = good and verdict in GOOD
    return good
