"""One change as one command (`python -m labconform change`), for real on this machine: accepted, a real
regression repaired by claim or rolled back or left, a change that hangs or fails, the lease taken by
someone else, a reused baseline, Ctrl-C; each one outcome in the record and the exit status."""

from __future__ import annotations

from pathlib import Path

from labconform.lease import LEASE_ENV, LeaseKeeper
from labconform.transport.target import Target
from tests.support.change import CLAIM, change

REPO = Path(__file__).resolve().parents[2]


def test_usage_errors_are_exit_4_and_change_nothing(tmp_path):
    for args in (["--run", ""], ["--run", "true", "--target", "nowhere"], ["--run", "'unclosed"],
                 ["--run", "true", "--timeout", "0"], ["--run", "true", "--waivers", str(tmp_path / "none.yaml")],
                 ["--run", "true", "--repair", "--rollback", "true"], ["--run", "true", "features/none.feature"]):
        rc, record, said = change(tmp_path, *args, timeout=60)
        assert rc == 4, (args, said)
        assert record == {}, args
        assert "Traceback" not in said, said


def test_a_lab_leased_to_someone_else_is_refused_at_once(tmp_path):
    path = str(tmp_path / "lease")
    with LeaseKeeper(Target("local"), "someone-else", "maintenance", path=path) as holder:
        holder.acquire()
        # wait=0: refused at once (the subprocess timeout bounds "at once")
        rc, record, said = change(tmp_path, "--run", "true", *CLAIM, env={LEASE_ENV: path}, timeout=60, wait=0)
    assert rc == 5, said
    assert "leased to" in said and "someone-else" in said, said
    assert record["outcome"] == "refused: the lab is leased" and "before" not in record["phases"]


