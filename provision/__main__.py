"""python -m provision [--target T] [--check] [--facts FILE] [--owners] [--claims ID,...]: make the lab's claims
true, show the plan, name the step that owns each claim, or repair some claims and check them again."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from labconform.errors import LabUnreachable, UsageError
from labconform.lease import WAIT_OPTION, LeaseHeld, LeaseKeeper
from labconform.option_values import Parser
from labconform.params import load_params
from labconform.redact import redact
from labconform.results import waivers
from labconform.transport import reach
from labconform.transport.known_hosts import HostKeyError
from labconform.transport.target import Target
from provision import claims as by_claim
from provision.core import Plan, show
from provision.plan import Context, build_plan
from provision.state import LiveState, RecordedState


def main(argv: list[str] | None = None) -> int:
    ap = Parser(prog="python -m provision", description=__doc__)
    reach.add_arguments(ap, reach.WITHOUT_KUBECONFIG)  # --target, the SSH options, --lab-params
    ap.add_argument("--check", action="store_true", help="show the plan; change nothing")
    ap.add_argument("--facts", help="a recorded host state (JSON) to plan against; implies --check")
    ap.add_argument("--json", help="also write the outcomes as JSON to this file")
    ap.add_argument("--owners", action="store_true",
                    help="print the step that owns each claim, JSON {claim id: {step, commands}}; changes nothing")
    ap.add_argument("--only", help="comma-separated parts of the lab to provision: host, docker, kubernetes")
    ap.add_argument("--claims", metavar="ID[,ID...]",
                    help="run only the steps that own these claims and the earlier steps of their parts whose "
                    "check fails, then check the claims with the suite; exit 0 when each passes (or is waived)")
    ap.add_argument("--waivers", help="with --claims: the waivers file the claims are checked with")
    ap.add_argument("--reports-dir", default="reports/repairs",
                    help="with --claims: where the check of the claims writes its run (default reports/repairs)")
    ap.add_argument("--changes-dir", default="reports/changes",
                    help="where a provisioning that changed the lab is recorded, for the history (reports/changes)")
    ap.add_argument(
        "--lease-wait",
        **WAIT_OPTION,
        help="wait this long for the lab's lease when someone else holds it (default 0: fail at once)",
    )
    args = ap.parse_args(argv)
    args.target_obj = None
    try:  # bad ids are a usage error before anything is read or run
        _check_options(args)
        args.claim_ids = _claim_ids(args)
    except UsageError as exc:
        show(f"provision: {exc}", out=sys.stderr)
        return 2
    try:
        return _main(args, ap)
    finally:
        if args.target_obj is not None:
            args.target_obj.close()


def _main(args: argparse.Namespace, ap: argparse.ArgumentParser) -> int:
    opened = _open(args)
    if isinstance(opened, int):
        return opened
    target, state, params = opened
    if args.owners:
        return _print_owners(Context(target, state, params))
    facts = state.facts
    where = args.facts or args.target
    mode = "plan (--check: nothing is changed)" if args.check else "provisioning"
    show(f"{mode} for {where}: {facts.pretty_name or facts.os_id} ({facts.family}), init {facts.init or '?'}")
    started = time.monotonic()
    chosen = _chosen(args, build_plan(Context(target, state, params)))
    if isinstance(chosen, int):
        return chosen
    plan, selection = chosen
    lease = _lease(args, target, where)
    if isinstance(lease, int):
        return lease
    verdicts = None
    try:
        outcomes = plan.run(check_only=args.check)
        counts: dict[str, int] = {}
        for o in outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no step"
        show(f"{summary} in {time.monotonic() - started:.1f} s")
        if counts.get("changed") and not args.check:
            record_change(args, outcomes, summary, time.time() - (time.monotonic() - started))
        if selection is not None and args.check:
            show("the claims are not checked with --check or --facts: nothing was changed")
        elif selection is not None:
            # still under the lease: what is checked is what the steps left
            verdicts = by_claim.verify(args.claim_ids, args)
    finally:
        if lease is not None:
            lease.release()
    repaired = True
    if verdicts is not None:
        repaired = by_claim.say_verdicts(verdicts)
        show(f"{'every asked claim holds' if repaired else 'not every asked claim holds'}: "
             f"{time.monotonic() - started:.1f} s in all")
    if args.json:
        _write_json(args.json, where, args.check, outcomes, verdicts)
    return 1 if counts.get("failed") or not repaired else 0


def _open(args: argparse.Namespace) -> tuple[Target | None, Any, Any] | int:
    """The target, what is read of it (live, or recorded with --facts) and the lab's parameters; or the exit
    status that says why not."""
    try:
        if args.facts:
            state = RecordedState.load(args.facts)
            target = None
            args.check = True
        else:
            target = args.target_obj = Target(args.target, ssh=reach.LabReach.of(args).ssh())
            target.probe()
            state = LiveState(target)
        return target, state, load_params(args.lab_params, state.facts.family)
    except UsageError as exc:
        show(f"provision: {exc}", out=sys.stderr)
        return 2
    except HostKeyError as exc:
        show(f"provision: {exc}", out=sys.stderr)
        return 3
    except LabUnreachable as exc:
        show(f"provision: target unreachable: {exc}", out=sys.stderr)
        return 3
    except (OSError, ValueError, KeyError) as exc:
        show(f"provision: {exc}", out=sys.stderr)
        return 2


def _chosen(args: argparse.Namespace, plan: Plan) -> tuple[Plan, Any] | int:
    """The plan --only and --claims keep, and the claims' selection; or 2 for a part that does not exist."""
    if args.only is not None:
        wanted = {w.strip() for w in args.only.split(",") if w.strip()}
        unknown = wanted - set(plan.sections)
        if unknown:
            show(
                f"provision: --only {args.only}: unknown part(s) {', '.join(sorted(unknown))}; "
                f"one of {', '.join(plan.sections)}",
                out=sys.stderr,
            )
            return 2
        plan = plan.only(wanted)
    selection = None
    if args.claim_ids:
        selection = by_claim.select(plan, args.claim_ids)
        show(f"claims asked: {', '.join(args.claim_ids)}")
        by_claim.describe(selection)
        plan = Plan(selection.steps)
    return plan, selection


def _lease(args: argparse.Namespace, target: Target | None, where: str) -> LeaseKeeper | None | int:
    """Changing the lab: nobody else may change it at the same time (docs/shared-lab.md). None for a plan that
    changes nothing; an exit status when the lease cannot be had."""
    if args.check or target is None:
        return None
    lease = LeaseKeeper(target, run=f"provision-{os.getpid()}", purpose="python -m provision")
    try:
        held = lease.acquire(wait_s=args.lease_wait)
    except LeaseHeld as exc:
        show(f"provision: {exc}", out=sys.stderr)
        return 5
    except (OSError, LabUnreachable) as exc:
        show(f"provision: {exc}", out=sys.stderr)
        return 3
    show(f"lease on {where} taken by {held.owner} (run {held.run})")
    return lease


def _write_json(path: str, where: str, check: bool, outcomes: list, verdicts: dict | None) -> None:
    with open(path, "w") as fh:
        doc = {"target": where, "check": check, "steps": [o.as_dict() for o in outcomes]}
        if verdicts is not None:
            doc["claims"] = {cid: verdict for rows in verdicts.values() for cid, verdict, _ in rows}
        json.dump(redact(doc), fh, indent=2)


def record_change(args: argparse.Namespace, outcomes: list, summary: str, began: float) -> None:
    """A provisioning that changed the lab is a change of it: kept where the change records are, so that the
    history does not call the verdicts it moved drift (docs/history.md)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(began))
    folder = Path(args.changes_dir) / f"prov-{stamp}-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        doc = {"schema": "labconform.change/1", "kind": "provision", "id": folder.name, "target": args.target,
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(began)),
               "duration_s": round(time.time() - began, 1), "outcome": summary,
               "changed": [o.as_dict()["step"] for o in outcomes if o.status == "changed"]}
        (folder / "change.json").write_text(json.dumps(redact(doc), indent=2) + "\n")
    except OSError as exc:
        show(f"provision: could not record the change in {folder}: {exc}", out=sys.stderr)


def _claim_ids(args: argparse.Namespace) -> list[str]:
    """--claims checked against the feature files, and against the options it cannot go with."""
    if args.claims is None:
        return []
    for opt, given in (("--owners", args.owners), ("--only", args.only)):
        if given:
            raise UsageError(f"--claims and {opt} do not go together: --claims picks the steps itself")
    if args.waivers:  # read now: a bad file is found before the lab is changed, not when its claims are checked
        try:
            waivers.load(args.waivers)
        except waivers.WaiverError as exc:
            raise UsageError(str(exc)) from None
    return by_claim.parse_ids(args.claims, by_claim.known_ids())


def _check_options(args: argparse.Namespace) -> None:
    """What the options name, checked before anything is read or run."""
    if args.only is not None and not [w for w in args.only.split(",") if w.strip()]:
        raise UsageError(f"--only {args.only!r}: names no part (host, docker, kubernetes); leave it out for every part")
    if args.json is not None:
        folder = Path(args.json).resolve().parent
        if not args.json.strip() or not folder.is_dir():
            raise UsageError(f"--json {args.json}: no folder {folder} to write it in")


def _print_owners(ctx: Context) -> int:
    """The claim -> owning step map that the conformance report shows beside each claim (the plan is
    built, never run). labconform reads it through this command, never by importing provision."""
    try:
        plan = build_plan(ctx)
    except Exception as exc:  # noqa: BLE001 - said on stderr, for the report's owners_note
        show(f"provision: the provisioning plan could not be built: {type(exc).__name__}: {exc}", out=sys.stderr)
        return 1
    owners: dict[str, dict[str, object]] = {}
    for step in plan.steps:
        for cid in step.claims:
            owner = plan.owner_of(cid)
            if owner is not None:
                owners[cid] = {"step": owner.name, "commands": list(owner.commands)}
    print(json.dumps(redact(owners), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
