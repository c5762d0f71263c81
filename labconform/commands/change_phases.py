"""The phases of one change on the lab: a check of the lab (the suite), a command on the lab (the change or
its rollback, here or over SSH) and a repair by claim (provisioning), each recorded as it starts and ends."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from labconform.commands import change_record, suite_process
from labconform.commands.change_record import Change
from labconform.commands.console import printer
from labconform.commands.streamed import stream
from labconform.errors import LabUnreachable, WaitTimeout
from labconform.lease import LeaseKeeper, LeaseLost
from labconform.poll import until
from labconform.transport import reach, ssh

REPAIR_TIMEOUT_S = 1800
PGID_MARK = "LC-CHANGE-PGID "
SSH_FAILED = 255  # ssh's own exit status: the connection failed, or the command said 255
RECONNECT_S = 60


say = printer("change: ")


class Runner:
    """Runs the phases of one change under its lease, each recorded in `change.phases` as it starts."""

    def __init__(self, args: argparse.Namespace, change: Change, lease: LeaseKeeper) -> None:
        self.args, self.change, self.lease = args, change, lease
        self.folder = Path(args.reports_dir) / "changes" / change.id
        self.env = {**os.environ, **lease.lend()}
        self.phase = "start"  # the phase running now, for a record cut short

    def begin(self, phase: str, **record: Any) -> dict[str, Any]:
        if self.lease.lost:
            raise LeaseLost(self.lease.lost)
        self.phase = phase
        rec = self.change.phases[phase] = {"started": change_record.utc(time.time()), **record}
        return rec

    # --- the suite ---------------------------------------------------------------------------------

    def lab_argv(self, options: tuple[reach.Option, ...] = reach.WITHOUT_KUBECONFIG) -> list[str]:
        """The options that reach the lab the same way in every suite and provisioning run, and the waivers."""
        waivers = ["--waivers", str(Path(self.args.waivers).resolve())] if self.args.waivers else []
        return reach.LabReach.of(self.args).argv(options) + waivers

    def check(self, phase: str, baseline: Path | None) -> dict[str, Any]:
        """Run the suite's passive and active claims; the run's record, read from its results.json."""
        run = f"{self.change.id}-{phase}"
        extra: list[str] = []
        for opt, val in (("--fail-on-impact", self.args.fail_on_impact), ("-k", self.args.keyword),
                         ("--baseline", baseline and str(baseline))):
            if val:
                extra += [opt, val]
        argv = suite_process.argv(self.args.paths, run, Path(self.args.reports_dir), self.lab_argv(reach.ALL), extra)
        self.begin(phase, run=run)
        say(f"{phase}: checking the lab (pytest {shlex.join(argv[3:])})")
        done = suite_process.run(argv, run, Path(self.args.reports_dir), f"  {phase} | ", f"the {phase} check",
                                 self.env)
        if done.error:
            self.change.reasons.append(f"the {phase} check: {done.error}")
        record = change_record.summarize_run(done.data, done.folder, done.ran, done.seconds, self.args.expect)
        self.change.phases[phase].update(record)
        aside = " (the expected claims set aside)" if self.args.expect else ""
        say(f"{phase}: {'passed' if record['ok'] else 'did not pass'}{aside}; {change_record.counts_line(record)}")
        return record

    # --- commands on the lab ---------------------------------------------------------------------

    def on_lab(self, phase: str, command: list[str]) -> dict[str, Any]:
        """Run a command on the lab (here, or over SSH), its output streamed and kept, bounded by --timeout
        (`timeout -k 5` on the lab stops its whole process group there)."""
        rec = self.begin(phase, command=command, log=f"{phase}.log")
        say(f"{phase}: {shlex.join(command)} on {self.args.target} (at most {self.args.timeout:g} s)")
        self.folder.mkdir(parents=True, exist_ok=True)
        bounded = ["timeout", "-k", "5", "--", f"{self.args.timeout:g}", *command]
        pgid: list[str] = []
        if self.lease.target.is_local:
            argv = bounded
        else:  # the remote timeout(1) leads its own process group: said first, so that a stop reaches it
            line = f"echo {PGID_MARK}$$; exec {shlex.join(bounded)}"
            argv = self.ssh_argv(f"sh -c {shlex.quote(line)}")

        def hide(text: str) -> bool:
            if text.startswith(PGID_MARK) and not pgid:
                pgid.append(text[len(PGID_MARK):].strip())
                return True
            return False

        def stop_there() -> bool:
            """Stop the command's process group on the lab; True once nothing of it is left there (bounded)."""
            if not (pgid and pgid[0].isdigit()):
                return False
            t = self.lease.target
            t.run("pkill -TERM -g %s", pgid[0], timeout=15)  # dash's kill takes no -PGID
            try:  # timeout(1) kills what ignores the TERM 5 s later (-k 5)
                until(lambda: t.run("pgrep -g %s", pgid[0], timeout=15).rc == 1, timeout=15, interval=0.5,
                      what=f"process group {pgid[0]} ended on the lab")
                return True
            except WaitTimeout:
                return False

        try:
            ran = stream(argv, timeout=self.args.timeout + 15, env=self.env, prefix=f"  {phase} | ", what=phase,
                         log=self.folder / rec["log"], hide=hide, on_stop=stop_there)
        except KeyboardInterrupt:
            rec["interrupted"] = True
            raise
        # timeout(1) says 124 when it stopped the command (a command's own 124 reads the same: the record says so)
        rec.update({"exit_status": ran.rc, "timed_out": ran.timed_out or ran.rc == 124,
                    "duration_s": round(ran.seconds, 1), "output_tail": ran.tail})
        if ran.rc == SSH_FAILED and not self.lease.target.is_local:
            self.after_drop(phase, rec, stop_there)
        end = "timed out (or exited 124)" if rec["timed_out"] else f"exit {ran.rc}"
        say(f"{phase}: {end} after {ran.seconds:.1f} s (output: {self.folder / rec['log']})")
        return rec

    def after_drop(self, phase: str, rec: dict[str, Any], stop_there: Any) -> None:
        """ssh said 255: if the connection itself dropped (its master gone), the command's end is unknown. The lab
        is reached again (bounded by RECONNECT_S, well inside the lease's time to live) and what is left of the
        command there is stopped; a lab not reached again ends the change (LabUnreachable)."""
        session = self.lease.target.session
        if session is None or not session.gone(grace=ssh.ALIVE_INTERVAL_S * ssh.ALIVE_COUNT + 2):
            return  # the command's own exit status 255, the connection alive
        rec["connection_lost"] = session.lost
        rec["exit_status"] = None  # not the command's: nobody knows how it ended
        say(f"{phase}: {session.lost}; reaching the lab again (at most {RECONNECT_S} s)")
        try:
            session.reopen(RECONNECT_S)
        except LabUnreachable as exc:
            rec["reconnected"] = False
            raise LabUnreachable(f"the connection to the lab dropped during the {phase} and it was not reached again "
                                 f"within {RECONNECT_S} s ({exc}): what the {phase} did there is unknown") from None
        rec["reconnected"] = True
        rec["stopped_on_lab"] = stop_there()
        left = ("what was left of the command there was stopped" if rec["stopped_on_lab"]
                else "the command could not be stopped there")
        say(f"{phase}: the lab answers again; {left}")

    def ssh_argv(self, line: str) -> list[str]:
        """ssh to the lab through the change's one connection (the lease's), the target's sudo applied."""
        target = self.lease.target
        target.connect()
        session = target.session
        assert session is not None
        return ["ssh", *session.client_options(), session.host, target.host.backend.get_command(line)]

    # --- repair by claim -----------------------------------------------------------------------------

    def repair(self, ids: list[str]) -> dict[str, Any]:
        argv = [sys.executable, "-m", "provision", "--claims", ",".join(ids), "--reports-dir",
                str((Path(self.args.reports_dir) / "repairs").resolve()), "--changes-dir",
                str((Path(self.args.reports_dir) / "changes").resolve()), *self.lab_argv()]
        rec = self.begin("repair", claims=ids, log="repair.log")
        say(f"repair: the provisioning steps that own {', '.join(ids)} (python -m provision {shlex.join(argv[3:])})")
        try:
            ran = stream(argv, timeout=REPAIR_TIMEOUT_S, env=self.env, cwd=suite_process.REPO, prefix="  repair | ",
                         what="the repair", log=self.folder / rec["log"])
        except KeyboardInterrupt:
            rec["interrupted"] = True
            raise
        rec.update({"exit_status": ran.rc, "duration_s": round(ran.seconds, 1), "output_tail": ran.tail,
                    "timed_out": ran.timed_out})
        return rec
