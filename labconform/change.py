"""One change to a shared lab as one command: under one lease, check, change, check, decide, and on a
regression repair by claim or roll back, then write the change record (docs/change.md)."""

from __future__ import annotations

import argparse
import getpass
import os
import shlex
import socket
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labconform import changerecord, results
from labconform.commands import stream
from labconform.errors import UsageError
from labconform.lease import LeaseHeld, LeaseKeeper
from labconform.params import load_params
from labconform.redact import redact_text
from labconform.ssh import SshOptions
from labconform.target import Target, parse_target

REPO = Path(__file__).resolve().parent.parent
SUITE_TIMEOUT_S = 1800  # one check of the lab: the whole suite takes about a minute
REPAIR_TIMEOUT_S = 1800

# exit statuses (docs/change.md)
ACCEPTED = 0
LEFT_BROKEN = 1
RESTORED = 3  # rejected, and the lab conforms again (repaired, rolled back, or never regressed)
USAGE = 4
LEASED = 5
NOT_MADE = 6  # the lab did not conform before: the change was not made
INTERRUPTED = 130


@dataclass
class Change:
    """What one change did, phase by phase: the change record (change.json) is this, as data."""

    id: str
    who: str
    target: str
    command: list[str]
    rollback: list[str] | None
    repair: bool
    started: float = field(default_factory=time.time)
    phases: dict[str, Any] = field(default_factory=dict)
    decision: str = ""
    outcome: str = ""
    exit_status: int = 0
    reasons: list[str] = field(default_factory=list)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(redact_text(f"{self.prog}: error: {message}"), file=sys.stderr)
        sys.exit(USAGE)


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = _Parser(
        prog="python -m labconform change",
        description="Check the lab, run one change on it, check it again and decide, all under the lab's lease.")
    ap.add_argument("--run", required=True, metavar="CMD",
                    help="the change: a command line, split like a shell would (no shell runs it), run on the lab")
    undo = ap.add_mutually_exclusive_group()
    undo.add_argument("--repair", action="store_true",
                      help="on a regression, run the provisioning steps that own the regressed claims")
    undo.add_argument("--rollback", metavar="CMD", help="on a regression, run this command on the lab")
    ap.add_argument("--timeout", type=float, default=600, help="seconds the change (or rollback) may take (600)")
    ap.add_argument("--lease-wait", type=float, default=0, help="seconds to wait for the lab's lease (0)")
    ap.add_argument("--baseline", metavar="RUN",
                    help="a recent good run of this lab (folder or results.json) instead of checking before")
    ap.add_argument("--baseline-max-age", type=float, default=3600,
                    help="seconds old a --baseline may be (3600)")
    ap.add_argument("--target", default="local", help="the lab: local (default) or ssh://user@host:port")
    ap.add_argument("--lab-params", help="YAML file of lab parameters")
    ap.add_argument("--waivers", help="waivers file for every check")
    ap.add_argument("--kubeconfig", help="kubeconfig for the claims")
    ap.add_argument("--ssh-identity", help="ssh:// targets: private key")
    ap.add_argument("--known-hosts", help="ssh:// targets: known_hosts file")
    ap.add_argument("--accept-host-key", action="store_true", help="ssh:// targets: accept an unknown key")
    ap.add_argument("--fail-on-impact", choices=["high", "medium", "low"], help="passed on to the gate")
    ap.add_argument("--reports-dir", default="reports", help="where runs and changes/<id>/ are written")
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
    return args


def say(text: str) -> None:
    print(redact_text(f"change: {text}"), flush=True)


class Runner:
    """The phases of one change, each recorded in `change.phases` as it ends."""

    def __init__(self, args: argparse.Namespace, change: Change, lease: LeaseKeeper) -> None:
        self.args, self.change, self.lease = args, change, lease
        self.folder = Path(args.reports_dir) / "changes" / change.id
        self.env = {**os.environ, **lease.lend()}
        self.phase = "start"  # the phase running now, for a record cut short by Ctrl-C

    # --- the suite ---------------------------------------------------------------------------------

    def reach(self) -> list[str]:
        """The options that reach the lab the same way in every suite and provisioning run."""
        out = ["--target", self.args.target]
        for opt, val in (("--lab-params", self.args.lab_params), ("--waivers", self.args.waivers),
                         ("--ssh-identity", self.args.ssh_identity), ("--known-hosts", self.args.known_hosts)):
            if val:
                out += [opt, str(Path(val).resolve())]
        return out + (["--accept-host-key"] if self.args.accept_host_key else [])

    def check(self, phase: str, baseline: Path | None) -> dict[str, Any]:
        """Run the suite's passive and active claims; the run's record, read from its results.json."""
        run = f"{self.change.id}-{phase}"
        argv = [sys.executable, "-m", "pytest", *[str(Path(p).resolve()) for p in self.args.paths], "-q",
                "-p", "no:cacheprovider", "-m", "not destructive", "--run-name", run,
                "--reports-dir", str(Path(self.args.reports_dir).resolve()), *self.reach()]
        for opt, val in (("--kubeconfig", self.args.kubeconfig), ("--fail-on-impact", self.args.fail_on_impact),
                         ("-k", self.args.keyword)):
            if val:
                argv += [opt, str(Path(val).resolve()) if opt == "--kubeconfig" else val]
        if baseline is not None:
            argv += ["--baseline", str(baseline)]
        self.phase = phase
        say(f"{phase}: checking the lab (pytest {shlex.join(argv[3:])})")
        started = time.time()
        ran = stream(argv, timeout=SUITE_TIMEOUT_S, env=self.env, cwd=REPO, prefix=f"  {phase} | ",
                     what=f"the {phase} check")
        folder = Path(self.args.reports_dir) / run
        try:
            data = results.load(folder / "results.json")
        except (OSError, ValueError) as exc:
            data = {}
            self.change.reasons.append(f"the {phase} check wrote no results ({type(exc).__name__}, exit {ran.rc})")
        record = changerecord.summarize_run(data, folder, ran, time.time() - started)
        self.change.phases[phase] = record
        say(f"{phase}: gate {record['gate']}; {changerecord.counts_line(record)}")
        return record

    # --- commands on the lab ---------------------------------------------------------------------

    def on_lab(self, phase: str, command: list[str]) -> dict[str, Any]:
        """Run a command on the lab (here, or over SSH), its output streamed and kept, bounded by --timeout."""
        self.phase = phase
        say(f"{phase}: {shlex.join(command)} on {self.args.target} (at most {self.args.timeout:g} s)")
        self.folder.mkdir(parents=True, exist_ok=True)
        log = self.folder / f"{phase}.log"
        argv = ["timeout", "-k", "5", f"{self.args.timeout:g}", *command]  # kills the command's whole group
        if not self.lease.target.is_local:
            argv = self.ssh_argv(shlex.join(argv))
        started = time.time()
        ran = stream(argv, timeout=self.args.timeout + 15, env=self.env, prefix=f"  {phase} | ",
                     what=phase, log=log)
        record = {"command": command, "started": changerecord.utc(started), "exit_status": ran.rc,
                  "timed_out": ran.timed_out or ran.rc == 124,
                  "duration_s": round(ran.seconds, 1), "log": log.name, "output_tail": ran.tail,
                  "interrupted": ran.interrupted}
        self.change.phases[phase] = record
        end = "timed out" if record["timed_out"] else f"exit {ran.rc}"
        say(f"{phase}: {end} after {ran.seconds:.1f} s (output: {log})")
        return record

    def ssh_argv(self, line: str) -> list[str]:
        """ssh to the lab through the change's one connection (the lease's), the target's sudo applied."""
        target = self.lease.target
        target.connect()
        session = target.session
        assert session is not None
        return ["ssh", *session.client_options(), session.host, target.host.backend.get_command(line)]

    # --- repair and roll back --------------------------------------------------------------------

    def repair(self, ids: list[str]) -> dict[str, Any]:
        argv = [sys.executable, "-m", "provision", "--claims", ",".join(ids), "--reports-dir",
                str((Path(self.args.reports_dir) / "repairs").resolve()), "--changes-dir",
                str((Path(self.args.reports_dir) / "changes").resolve()), *self.reach()]
        self.phase = "repair"
        say(f"repair: the provisioning steps that own {', '.join(ids)} (python -m provision {shlex.join(argv[3:])})")
        started = time.time()
        ran = stream(argv, timeout=REPAIR_TIMEOUT_S, env=self.env, cwd=REPO, prefix="  repair | ", what="the repair",
                     log=self.folder / "repair.log")
        record = {"claims": ids, "started": changerecord.utc(started), "exit_status": ran.rc,
                  "duration_s": round(ran.seconds, 1), "log": "repair.log",
                  "output_tail": ran.tail, "timed_out": ran.timed_out, "interrupted": ran.interrupted}
        self.change.phases["repair"] = record
        return record


def regressed(after: dict[str, Any]) -> list[str]:
    """The claim ids (an Outline's rows once) that the after check names as regressions or errors."""
    ids = [*after.get("regressions", []), *after.get("errors", [])]
    return sorted({i.split("[", 1)[0].split("@", 1)[0] for i in ids})


def baseline_fit(args: argparse.Namespace, who: str) -> tuple[Path | None, str]:
    """A --baseline usable in place of the check before: this lab's, passed, recent, and not made while
    someone else held the lab. Returns (its results.json, why not)."""
    path = Path(args.baseline)
    path = path / "results.json" if path.is_dir() else path
    try:
        data = results.load(path)
        run = data["run"]
        started = time.mktime(time.strptime(run["started"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, f"cannot read {path}: {type(exc).__name__}: {exc}"
    lab = run.get("target") or {}
    lease, age = lab.get("lease") or {}, time.time() - started
    try:
        same = parse_target(lab.get("spec") or "") == parse_target(args.target)
    except UsageError:
        same = False
    if not same:
        return None, f"{path} is a run of {lab.get('spec')}, not of {args.target}"
    if (data.get("gate") or {}).get("status") != "passed":
        return None, f"{path}: its gate did not pass"
    if age > args.baseline_max_age:
        return None, f"{path} is {age:.0f} s old (at most {args.baseline_max_age:g} s: --baseline-max-age)"
    if lease and lease.get("owner") != who:
        return None, f"{path} was made while {lease.get('owner')} held the lab's lease"
    return path, ""


def run_change(args: argparse.Namespace) -> Change:
    who = f"{getpass.getuser()}@{socket.gethostname()}"
    change = Change(id=time.strftime("chg-%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{uuid.uuid4().hex[:4]}",
                    who=who, target=args.target, command=args.command, rollback=args.rollback_command,
                    repair=args.repair)
    target = Target(args.target, ssh=SshOptions(identity=args.ssh_identity, known_hosts=args.known_hosts,
                                                 accept_host_key=args.accept_host_key))
    lease = LeaseKeeper(target, change.id, f"change: {shlex.join(args.command)}"[:200])
    try:
        say(f"{change.id}: taking the lease on {args.target}")
        held = lease.acquire(wait_s=args.lease_wait)
        change.phases["lease"] = {k: v for k, v in held.as_dict().items() if k != "token"}
    except LeaseHeld as exc:
        return finish(change, "refused", LEASED, [str(exc)], args)
    except Exception as exc:  # noqa: BLE001 - the lab cannot be reached: one clear line, no traceback
        return finish(change, "refused", LEFT_BROKEN, [f"cannot reach {args.target}: {exc}"], args)
    runner = Runner(args, change, lease)
    try:
        return decide(runner, args)
    except KeyboardInterrupt:
        return finish(change, "interrupted", INTERRUPTED, [f"interrupted (Ctrl-C) during the {runner.phase}"], args)
    finally:
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
        if before["gate"] != "passed":
            return finish(change, "not made", NOT_MADE,
                          ["the lab did not pass its check before the change: nothing was changed",
                           *before["reasons"]], args)
        baseline = Path(before["folder"]) / "results.json"
    made = r.on_lab("change", args.command)
    after = r.check("after", baseline)
    bad = after["gate"] != "passed" or made["exit_status"] != 0
    if not bad:
        return finish(change, "accepted", ACCEPTED, [], args)
    why = [f"the change command {'timed out' if made['timed_out'] else 'exited ' + str(made['exit_status'])}"] \
        if made["exit_status"] != 0 else []
    why += after["reasons"]
    if after["gate"] == "passed":
        return finish(change, "rejected", RESTORED, [*why, "the lab still passes its check"], args)
    ids = regressed(after)
    if args.repair and ids:
        r.repair(ids)
    elif args.rollback_command:
        r.on_lab("rollback", args.rollback_command)
    else:
        return finish(change, "rejected", LEFT_BROKEN, [*why, "no --repair or --rollback: the lab is left so"], args)
    final = r.check("final", baseline)
    if final["gate"] == "passed":
        return finish(change, "rejected", RESTORED, [*why, "the lab passes again after the "
                                                     + ("repair" if args.repair else "rollback")], args)
    return finish(change, "rejected", LEFT_BROKEN, [*why, *final["reasons"]], args)


def finish(change: Change, decision: str, status: int, reasons: list[str], args: argparse.Namespace) -> Change:
    change.decision, change.exit_status = decision, status
    change.reasons += reasons
    change.outcome = {ACCEPTED: "accepted", RESTORED: "rejected, lab conforming", LEFT_BROKEN:
                      "rejected, lab left failing", LEASED: "refused: the lab is leased", NOT_MADE:
                      "not made: the lab did not conform before", INTERRUPTED: "interrupted"}[status]
    if decision == "refused" and status == LEFT_BROKEN:
        change.outcome = "refused: the lab cannot be reached"
    return change


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    change = run_change(args)
    folder = changerecord.write(change, Path(args.reports_dir))
    for why in change.reasons:
        say(f"  {why}")
    say(f"{change.id}: {change.outcome} (exit {change.exit_status}); record: {folder / 'index.html'}")
    return change.exit_status

