"""Hostile values in every option of the commands' parsers (issue 25): each is refused with a usage status and a
line under 1 KB, or taken and harmless; never a traceback, never a command run (no canary file appears)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from labconform.commands import change, faults, schedule
from labconform.errors import UsageError

CANARY = "lc-canary"
HOSTILE = ["", " ", f"-oProxyCommand=touch {CANARY}", f"$(touch {CANARY})", f"`touch {CANARY}`",
           f"x; touch {CANARY}", "a\nb", "nul\x00byte", "x" * 100_000, "nan", "inf", "-1", "1e400",
           "../../../etc/shadow", "/dev/zero", "ünïcödé", f"ssh://root@-o{CANARY}", "ssh://root@[::1", "local://foo"]
OPTIONS = ["--target", "--lab-params", "--ssh-identity", "--known-hosts", "--kubeconfig", "--lease-wait",
           "--waivers", "--reports-dir"]


def parse(command: str, argv: list[str]) -> tuple[int, str]:
    """The command's own reading of its options (what it does before touching the lab): 0 when taken."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            if command == "change":
                change.parse_args(["--run", "true", *argv])
            elif command == "faults":
                faults.selected(faults.parse_args(["--destructive", *argv]))
            else:
                schedule.check_args(schedule.parser().parse_args(["status", *argv]))
        except SystemExit as exc:
            return int(exc.code or 0), err.getvalue()
        except UsageError as exc:
            return 4, str(exc)
    return 0, err.getvalue()


@pytest.mark.parametrize("command", ["change", "faults", "schedule"])
@pytest.mark.parametrize("option", OPTIONS)
def test_every_hostile_value_is_refused_or_harmless(command, option, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for value in HOSTILE:
        try:
            status, said = parse(command, [option, value])
        except Exception as exc:  # noqa: BLE001 - the assertion names the input
            pytest.fail(f"{command} {option} {value[:40]!r}: {type(exc).__name__}: {str(exc)[:300]}")
        where = f"{command} {option} {value[:40]!r}: status {status}: {said[-300:]!r}"
        assert status in (0, 2, 4), where
        # the usage lines, then one line that says what was wrong: that line under 1 KB, the whole under 2 KB
        longest = max([len(line) for line in said.splitlines()] or [0])
        assert longest < 1024 and len(said) < 2048, f"{where}: {len(said)} characters"
        assert "Traceback" not in said, where
        if status == 0 and option == "--target":
            assert value.strip() and "\n" not in value and not value.startswith("-"), (command, value[:40])
    assert not list(Path(tmp_path).rglob(f"*{CANARY}*")), "a value reached a shell"
