"""The passive claims on a schedule, so that drift between changes is caught (docs/history.md).

`python -m labconform schedule start --every 15m` installs a systemd timer where systemd is the init of the
machine that runs labconform, and otherwise keeps a loop under labconform's supervisor (provision/files/
supervise.sh). Each run is an ordinary run of the passive claims (not destructive, not active) into
reports/scheduled-<UTC time>/, so the history and metrics.prom follow it; the oldest scheduled runs beyond
--keep are removed. While the lab's lease is held (a change under way) a run is skipped and says so."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from labconform import input_files
from labconform.commands import suite_process
from labconform.commands.console import printer
from labconform.errors import UsageError, WaitTimeout
from labconform.host import services
from labconform.lease import LeaseKeeper
from labconform.option_values import Parser
from labconform.params import load_params
from labconform.poll import until
from labconform.results import history, waivers
from labconform.transport import reach
from labconform.transport.host_spec import parse_target
from labconform.transport.target import Target

NAME = "labconform-schedule"
UNITS = Path("/etc/systemd/system")
SUPERVISE = "/usr/local/libexec/labconform/supervise.sh"
LOG = Path("/var/log/labconform") / f"{NAME}.log"  # the supervisor's log of its child, or the journal
PASSIVE = "not destructive and not active"
EVERY = re.compile(r"([1-9][0-9]*)([smh]?)")
MIN_EVERY_S = 10


def seconds(text: str) -> int:
    """`90`, `90s`, `15m`, `1h` as seconds, at least MIN_EVERY_S."""
    m = EVERY.fullmatch(text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"--every {text!r}: a whole number of s, m or h (15m)")
    value = int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]
    if value < MIN_EVERY_S:
        raise argparse.ArgumentTypeError(f"--every {text!r}: at least {MIN_EVERY_S} s")
    return value


def parser() -> argparse.ArgumentParser:
    ap = Parser(prog="python -m labconform schedule")
    ap.add_argument("action", choices=("start", "stop", "status", "run", "loop"))
    ap.add_argument("--every", type=seconds, default=900, help="time between runs: 90s, 15m, 1h (15m)")
    reach.add_arguments(ap)  # the lab, as pytest's options reach it
    ap.add_argument("--waivers", type=reach.path_value, help="the lab's waivers file")
    ap.add_argument("--reports-dir", type=reach.path_value, default="reports", help="where runs are kept (reports)")
    ap.add_argument("--keep", type=int, default=96, help="scheduled runs kept, the oldest removed (96)")
    ap.add_argument("--features", nargs="*", default=["features/"], help="feature paths (features/)")
    return ap


def passive_argv(args: argparse.Namespace, run_name: str) -> list[str]:
    waivers = ["--waivers", str(Path(args.waivers).resolve())] if args.waivers else []
    lab = reach.LabReach.of(args).argv()
    return suite_process.argv(args.features, run_name, Path(args.reports_dir), lab + waivers, [], marks=PASSIVE)


def one_run(args: argparse.Namespace) -> int:
    """One scheduled run, or a skip while a change holds the lab's lease."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    lab = Target(args.target, ssh=reach.LabReach.of(args).ssh())
    try:
        held = LeaseKeeper(lab, "schedule", "scheduled passive run").current()
    finally:
        lab.close()
    if held is not None and held.expires > time.time():
        say(f"{stamp} skipped: the lab is leased by {held.owner} ({held.purpose}) until "
            f"{time.strftime('%H:%M:%SZ', time.gmtime(held.expires))}")
        return 0
    name = f"scheduled-{stamp}"
    ran = subprocess.run(passive_argv(args, name), cwd=suite_process.REPO, capture_output=True, text=True,
                         timeout=suite_process.SUITE_TIMEOUT_S, check=False)
    tail = (ran.stdout.strip().splitlines() or ["(no output)"])[-1]
    say(f"{stamp} {Path(args.reports_dir).resolve() / name}: exit {ran.returncode}: {tail}")
    prune(Path(args.reports_dir), args.keep)
    history.write(Path(args.reports_dir))
    return ran.returncode


def prune(reports: Path, keep: int) -> None:
    runs = sorted(p for p in reports.glob("scheduled-*") if p.is_dir())
    for old in runs[:max(len(runs) - keep, 0)]:
        shutil.rmtree(old, ignore_errors=True)


say = printer()


def systemd_is_init() -> bool:
    return Path("/run/systemd/system").is_dir()


def loop_argv(args: argparse.Namespace, action: str) -> list[str]:
    """This module's own command line for `action` with the options it was started with."""
    out = [sys.executable, "-m", "labconform", "schedule", action, "--every", str(args.every),
           *reach.LabReach.of(args).argv(), "--reports-dir", str(Path(args.reports_dir).resolve()), "--keep",
           str(args.keep), "--features", *[str(Path(f).resolve()) for f in args.features]]
    return out + (["--waivers", str(Path(args.waivers).resolve())] if args.waivers else [])


def units(args: argparse.Namespace) -> dict[str, str]:
    """The systemd service and timer of the schedule."""
    service = (f"[Unit]\nDescription=labconform: the passive claims of {args.target}\n\n[Service]\nType=oneshot\n"
               f"WorkingDirectory={suite_process.REPO}\nExecStart={shlex.join(loop_argv(args, 'run'))}\n")
    timer = (f"[Unit]\nDescription=labconform: the passive claims every {args.every} s\n\n[Timer]\n"
             f"OnActiveSec=0\nOnUnitActiveSec={args.every}s\nUnit={NAME}.service\n\n[Install]\nWantedBy=timers.target\n")
    return {f"{NAME}.service": service, f"{NAME}.timer": timer}


def supervisor_pid() -> int | None:
    """The schedule's supervisor, when its pid file names it (a stale one names no one: services.pid_file_sh)."""
    return services.supervisor_pid(Target("local"), NAME)


def start(args: argparse.Namespace) -> int:
    stop(args, quiet=True)
    if systemd_is_init():
        for name, text in units(args).items():
            (UNITS / name).write_text(text)
        subprocess.run(["systemctl", "daemon-reload"], check=True)
        subprocess.run(["systemctl", "enable", "--now", f"{NAME}.timer"], check=True)
        say(f"schedule: systemd timer {NAME}.timer, every {args.every} s (journalctl -u {NAME})")
        return 0
    if not Path(SUPERVISE).exists():
        say(f"schedule: {SUPERVISE} is missing: run `python -m provision` first (it installs the supervisor)")
        return 4
    subprocess.Popen([SUPERVISE, NAME, *loop_argv(args, "loop")], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=suite_process.REPO,
                     start_new_session=True)
    say(f"schedule: every {args.every} s under labconform's supervisor (log: {LOG})")
    return 0


def stop(args: argparse.Namespace, quiet: bool = False) -> int:
    if systemd_is_init() and (UNITS / f"{NAME}.timer").exists():
        subprocess.run(["systemctl", "disable", "--now", f"{NAME}.timer"], check=False, capture_output=True)
        for name in units(args):
            (UNITS / name).unlink(missing_ok=True)
        subprocess.run(["systemctl", "daemon-reload"], check=False)
    pid = supervisor_pid()
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        try:  # the supervisor ends the loop, which ends a run under way
            until(supervisor_pid, lambda p: p is None, timeout=60, interval=0.2, what="the schedule stopped")
        except WaitTimeout as exc:
            say(f"schedule: {exc}")
            return 1
    if not quiet:
        say("schedule: stopped" if pid is not None or systemd_is_init() else "schedule: was not running")
    return 0


def status(_args: argparse.Namespace) -> int:
    pid = supervisor_pid()
    if systemd_is_init():
        return subprocess.run(["systemctl", "status", "--no-pager", f"{NAME}.timer"], check=False).returncode
    say(f"schedule: running under the supervisor (pid {pid}; log: {LOG})" if pid else "schedule: not running")
    return 0 if pid else 3


def loop(args: argparse.Namespace) -> int:
    """Run, sleep, run: until SIGTERM (the supervisor stopping), which also ends a run under way."""
    def end(_signo: int, _frame: object) -> None:
        raise SystemExit(0)  # subprocess.run kills its child on the way out

    signal.signal(signal.SIGTERM, end)
    while True:
        started = time.monotonic()
        one_run(args)
        time.sleep(max(args.every - (time.monotonic() - started), 1))


def check_args(args: argparse.Namespace) -> None:
    """Every option read before anything starts: what is written into a systemd unit holds no control character,
    and each file an option names is read now."""
    parse_target(args.target)
    for option, value in (("--reports-dir", args.reports_dir), *(("--features", f) for f in args.features)):
        if not value.strip() or any(ord(ch) < 32 for ch in value):
            raise UsageError(f"{option} {value[:80]!r}: empty, or holds a control character")
    for option, value in (("--ssh-identity", args.ssh_identity), ("--known-hosts", args.known_hosts),
                          ("--kubeconfig", args.kubeconfig)):
        if value is not None:
            input_files.read_text(value, option)
    if args.lab_params is not None:
        load_params(args.lab_params)
    if args.waivers is not None:
        try:
            waivers.load(args.waivers)
        except waivers.WaiverError as exc:
            raise UsageError(str(exc)) from None


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        check_args(args)
    except UsageError as exc:
        say(f"python -m labconform schedule: {exc}")
        return 4
    return {"start": start, "stop": stop, "status": status, "run": one_run, "loop": loop}[args.action](args)
