"""Long provisioning commands that say what they are doing: run in the background on the target, their log's
last line and the time taken shown every few seconds, bounded by a timeout."""

from __future__ import annotations

import os
import shlex
import time
from typing import Any

from labconform.errors import WaitTimeout
from labconform.poll import until
from provision.core import StepFailed, put_script

EVERY_S = 10.0


def run_script(ctx: Any, script: str, args: str, log: str, what: str, timeout: float, note: str = "") -> None:
    """FILES/script put under LIBEXEC and run by run_watched with `args` (the rest of its shell line); `note`
    said before it starts."""
    path = put_script(ctx, script)
    if note:
        ctx.say(note)
    run_watched(ctx, f"{path} {args}", log, what, timeout)


def run_watched(ctx: Any, command: str, log: str, what: str, timeout: float, every: float = EVERY_S) -> None:
    """Run `command` (a shell line) on the target with its output appended to `log`; every `every` seconds
    say how long it has run and the last line of `log`; fail with the log's end if it fails or outlasts
    `timeout`. The command is killed on a timeout or an interrupt."""
    t = ctx._live()  # recorded facts: StepFailed, they can only be checked
    tag = f"/tmp/labconform-watch-{os.getpid()}-{int(time.time() * 1000)}"
    body = f"echo $$ > {tag}.pid; ({command}) >> {shlex.quote(log)} 2>&1; echo $? > {tag}.rc"
    ctx.say(f"$ {command}  (log: {log})")
    started = time.monotonic()
    res = t.run("mkdir -p \"$(dirname %s)\" && setsid nohup sh -c %s </dev/null >/dev/null 2>&1 & echo started",
                log, body)
    if not res.ok:
        raise StepFailed(f"cannot start `{command}`: {res.stderr.strip()}")
    last_said = started

    def finished() -> bool:
        nonlocal last_said
        if t.run("test -e %s", f"{tag}.rc").ok:
            return True
        now = time.monotonic()
        if now - last_said >= every:
            last_said = now
            line = t.run("tail -n 1 %s", log).stdout.strip()[-160:]
            ctx.say(f"{what}: {now - started:.0f} s so far; {line}")
        return False

    try:
        until(finished, timeout=timeout, interval=1, what=what)
    except (WaitTimeout, KeyboardInterrupt) as exc:
        t.run('pid=$(cat %s 2>/dev/null) && pkill -TERM -g "$pid"; true', f"{tag}.pid")
        t.run("rm -f %s %s", f"{tag}.pid", f"{tag}.rc")
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise StepFailed(f"{what}: not finished after {timeout:.0f} s (log: {log})") from None
    ctx.state.forget()  # the command changed the lab: what the steps read of it is read afresh
    rc = t.run("cat %s", f"{tag}.rc").stdout.strip()
    t.run("rm -f %s %s", f"{tag}.pid", f"{tag}.rc")
    ctx.say(f"{what}: finished in {time.monotonic() - started:.0f} s (exit {rc})")
    if rc != "0":
        tail = t.run("tail -n 40 %s", log).stdout
        raise StepFailed(f"`{command}` exited {rc}: {tail.strip()[-1500:]}")
