"""One change to a shared lab as one command: under one lease, check, change, check, decide, and on a
regression repair by claim or roll back, then write the change record (docs/change.md)."""

from __future__ import annotations

import argparse
import getpass
import shlex
import socket
import time
import uuid
from pathlib import Path
from typing import Any

from labconform.commands import change_expect, change_record
from labconform.commands.change_phases import Runner, say
from labconform.commands.change_record import Change
from labconform.commands.streamed import stop_like_ctrl_c
from labconform.errors import UsageError
from labconform.lease import LeaseHeld, LeaseKeeper, LeaseLost
from labconform.option_values import Parser, seconds
from labconform.outputs.repair import base_id
from labconform.params import load_params
from labconform.redact import redact_text
from labconform.results import document, history
from labconform.transport import reach
from labconform.transport.host_spec import parse_target
from labconform.transport.target import Target

# exit statuses (docs/change.md)
ACCEPTED = 0
LEFT_BROKEN = 1
RESTORED = 3  # rejected, and the lab conforms again (repaired, rolled back, or never regressed)
USAGE = 4
LEASED = 5
NOT_MADE = 6  # the lab did not conform before: the change was not made
UNREACHABLE = 7  # the lab could not be reached, or the change could not go on: see the record
ALREADY_HOLDS = 8  # --expect: an expected claim passed before the change: the change was not made
INTERRUPTED = 130
OUTCOMES = {ACCEPTED: "accepted", RESTORED: "rejected, lab conforming", LEFT_BROKEN: "rejected, lab left failing",
            LEASED: "refused: the lab is leased", NOT_MADE: "not made: the lab did not conform before",
            UNREACHABLE: "stopped: the lab could not be reached or the change could not go on",
            ALREADY_HOLDS: "not made: an expected claim already passes",
            INTERRUPTED: "interrupted"}


class _Parser(Parser):
    usage_status = USAGE


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = _Parser(
        prog="python -m labconform change",
        description="Check the lab, run one change on it, check it again and decide, all under the lab's lease.")
    ap.add_argument("--run", required=True, metavar="CMD",
                    help="the change: a command line, split like a shell would (no shell runs it), run on the lab")
    undo = ap.add_mutually_exclusive_group()
    undo.add_argument("--repair", action="store_true",
                      help="on a regression, run the provisioning steps that own the failing claims")
    undo.add_argument("--rollback", metavar="CMD", help="on a regression, run this command on the lab")
    ap.add_argument("--timeout", type=seconds, default=600, help="seconds the change (or rollback) may take (600)")
    ap.add_argument("--lease-wait", type=seconds, default=0, help="seconds to wait for the lab's lease (0)")
    ap.add_argument("--baseline", type=reach.path_value, metavar="RUN",
                    help="a recent good run of this lab (folder or results.json) instead of checking before")
    ap.add_argument("--baseline-max-age", type=seconds, default=3600, help="seconds old a --baseline may be (3600)")
    reach.add_arguments(ap)  # --target, the SSH options, --lab-params, --kubeconfig
    ap.add_argument("--waivers", type=reach.path_value, help="waivers file for every check")
    ap.add_argument("--fail-on-impact", choices=["high", "medium", "low"], help="passed on to the gate")
    ap.add_argument("--reports-dir", type=reach.path_value, default="reports",
                    help="where runs and changes/<id>/ are written")
    ap.add_argument("--expect", type=change_expect.expect_ids, metavar="ID[,ID...]",
                    help="a test-first change: these claims must not pass before it and must pass after it")
    ap.add_argument("-k", dest="keyword", help="check only the claims pytest -k selects")
    ap.add_argument("paths", nargs="*", default=["features/"], help="feature files or folders (features/)")
    args = ap.parse_args(argv)
    try:
        args.command = shlex.split(args.run)
        args.rollback_command = shlex.split(args.rollback) if args.rollback else None
        parse_target(args.target)
        if args.lab_params:
            load_params(args.lab_params)
    except (ValueError, UsageError) as exc:
        ap.error(str(exc))
    if not args.command or (args.rollback is not None and not args.rollback_command):
        ap.error("--run and --rollback need a command")
    if args.timeout <= 0 or args.lease_wait < 0 or args.baseline_max_age <= 0:
        ap.error("--timeout and --baseline-max-age must be above 0, --lease-wait at least 0")
    for path in (args.lab_params, args.waivers, args.kubeconfig, args.ssh_identity, args.known_hosts):
        if path and not Path(path).is_file():
            ap.error(f"no such file: {path}")
    for path in args.paths:
        if not Path(path).exists():
            ap.error(f"no such feature file or folder: {path}")
    missing = change_expect.unknown(args.expect or [], args.paths)
    if missing:
        ap.error(f"--expect: no feature file of {' '.join(args.paths)} has the claim id(s) {', '.join(missing)}")
    return args


def baseline_fit(args: argparse.Namespace, who: str) -> tuple[Path | None, str]:
    """A --baseline usable in place of the check before: this lab's, passed, recent, not made while someone
    else held the lab, and with no change of the lab recorded since it started. Returns (its results.json,
    why not)."""
    path = Path(args.baseline)
    path = path / "results.json" if path.is_dir() else path
    try:
        data = document.load(path)
        run = data["run"]
        lab = run.get("target") or {}
        started = history.epoch(run["started"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return None, f"cannot read {path}: {type(exc).__name__}: {exc}"
    lease, age = lab.get("lease") or {}, time.time() - started
    if history.lab_key(lab.get("spec")) != history.lab_key(args.target):
        return None, f"{path} is a run of {lab.get('spec')}, not of {args.target}"
    if (data.get("gate") or {}).get("status") != "passed" or run.get("exit_status") != 0 or not data.get("claims"):
        return None, f"{path}: its gate did not pass (or it checked nothing)"
    if age > args.baseline_max_age:
        return None, f"{path} is {age:.0f} s old (at most {args.baseline_max_age:g} s: --baseline-max-age)"
    if lease and lease.get("owner") != who:
        return None, f"{path} was made while {lease.get('owner')} held the lab's lease"
    since = [m.id for m in history.load_changes(Path(args.reports_dir))
             if m.lab == history.lab_key(args.target) and m.end > started + history.STAMP_S]
    if since:
        return None, f"the lab was changed since {path} was made: {', '.join(since[:3])}"
    return path, ""


def failing(after: dict[str, Any]) -> list[str]:
    """The claim ids (an Outline's rows once, a lab's suffix off) the after check did not pass."""
    ids = [*after.get("regressions", []), *after.get("waived_regressions", []), *after.get("errors", []),
           *after.get("failed", [])]
    return sorted({base_id(i).split("@", 1)[0] for i in ids})


def run_change(args: argparse.Namespace) -> Change:
    who = f"{getpass.getuser()}@{socket.gethostname()}"
    change = Change(id=time.strftime("chg-%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{uuid.uuid4().hex[:4]}",
                    who=who, target=args.target, command=args.command, rollback=args.rollback_command,
                    repair=args.repair)
    target = Target(args.target, ssh=reach.LabReach.of(args).ssh())
    lease = LeaseKeeper(target, change.id, redact_text(f"change: {shlex.join(args.command)}")[:200])
    runner: Runner | None = None
    try:
        say(f"{change.id}: taking the lease on {args.target}")
        held = lease.acquire(wait_s=args.lease_wait)
        change.phases["lease"] = {k: v for k, v in held.as_dict().items() if k != "token"}
        runner = Runner(args, change, lease)
        return decide(runner, args)
    except LeaseHeld as exc:
        return finish(change, "refused", LEASED, [str(exc)])
    except KeyboardInterrupt:
        during = f"during the {runner.phase}" if runner else "while taking the lease"
        return finish(change, "interrupted", INTERRUPTED, [f"interrupted {during}"])
    except LeaseLost as exc:
        return finish(change, "stopped", UNREACHABLE, [f"the lease was lost during the {runner and runner.phase}: "
                                                       f"{exc}; nothing more was done to the lab"])
    except Exception as exc:  # noqa: BLE001 - the lab unreachable, a tool missing: one clear line, no traceback
        where = f"during the {runner.phase}" if runner else "before the lease was taken"
        return finish(change, "stopped", UNREACHABLE, [f"{where}: {type(exc).__name__}: {exc}"])
    finally:
        if lease.held is not None:
            lease.release()
            change.phases.setdefault("lease", {})["released"] = True
        target.close()


def decide(r: Runner, args: argparse.Namespace) -> Change:
    change = r.change
    baseline = None
    if args.baseline:
        baseline, why = baseline_fit(args, change.who)
        say(f"baseline {baseline} stands for the check before" if baseline else f"baseline not used: {why}")
        change.phases["baseline"] = {"path": str(baseline) if baseline else args.baseline, "used": bool(baseline),
                                     "why_not": why}
    if baseline is None:
        before = r.check("before", None)
        if not before["ok"]:
            return finish(change, "not made", NOT_MADE, ["the lab did not pass its check before the change: "
                                                         "nothing was changed", *before["reasons"]])
        baseline = Path(before["folder"]) / "results.json"
    claims_before = document.load(baseline).get("claims") or []
    held = change_expect.before(change.expected, args.expect or [], claims_before)
    if held:
        return finish(change, "not made", ALREADY_HOLDS, held)
    made = r.on_lab("change", args.command)
    after = r.check("after", baseline)
    if after["claims"] < len(claims_before):  # a claim the before check had and this one did not run proves nothing
        after["reasons"].append(f"the after check ran {after['claims']} claims, the before check {len(claims_before)}")
        after["ok"] = False
    missed = change_expect.after(change.expected, after["expected"])
    if made["exit_status"] == 0 and after["ok"] and not missed:
        return finish(change, "accepted", ACCEPTED, [])
    why = [f"the change command {ended(made)}"] if made["exit_status"] != 0 else []
    return undo(r, args, [*why, *missed, *after["reasons"]], after, (baseline, len(claims_before)), bool(missed))


def undo(r: Runner, args: argparse.Namespace, why: list[str], after: dict[str, Any], before: tuple[Path, int],
         missed: bool) -> Change:
    """A rejected change: the lab left, repaired by the claims that regressed, or rolled back; then checked."""
    change = r.change
    if after["ok"] and not (missed and args.rollback_command):  # an expectation missed: the rollback runs
        aside = " (the expected claims aside)" if args.expect else ""
        return finish(change, "rejected", RESTORED, [*why, f"the lab still passes its check{aside}"])
    ids = [i for i in failing(after) if i not in (args.expect or [])]
    if args.repair and not ids:
        return finish(change, "rejected", LEFT_BROKEN, [*why, "--repair: no failing claim to repair by"])
    if args.repair:
        r.repair(ids)
    elif args.rollback_command:
        r.on_lab("rollback", args.rollback_command)
    else:
        return finish(change, "rejected", LEFT_BROKEN, [*why, "no --repair or --rollback: the lab is left so"])
    final = r.check("final", before[0])
    done = "repair" if args.repair else "rollback"
    if final["ok"] and final["claims"] >= before[1]:
        return finish(change, "rejected", RESTORED, [*why, f"the lab passes again after the {done}"])
    return finish(change, "rejected", LEFT_BROKEN, [*why, f"after the {done}:", *final["reasons"]])


def ended(made: dict[str, Any]) -> str:
    if made.get("connection_lost"):
        left = "stopped on the lab" if made.get("stopped_on_lab") else "NOT seen stopped on the lab: look there"
        return f"ended unseen: the SSH connection dropped under it, its exit status is unknown ({left})"
    return "timed out" if made["timed_out"] else f"exited {made['exit_status']}"


def finish(change: Change, decision: str, status: int, reasons: list[str]) -> Change:
    change.decision, change.exit_status, change.outcome = decision, status, OUTCOMES[status]
    change.reasons += reasons
    return change


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    stop_like_ctrl_c()  # its commands stopped, the record written, the lease given back
    change = run_change(args)
    folder = change_record.write(change, Path(args.reports_dir))
    for why in change.reasons:
        say(f"  {why}")
    for cid, rec in change.expected.items():
        say(f"  {change_expect.line(cid, rec)}")
    say(f"{change.id}: {change.outcome} (exit {change.exit_status}); record: {folder / 'index.html'}")
    return change.exit_status
