"""Repair by claim (`python -m provision --claims`): ids checked before anything runs, the steps a
claim's repair walks, a real repair on this machine, and the report's repair line under a failed claim."""

from __future__ import annotations

from provision.claims import say_verdicts, verify
from tests.support.repair import check_args

# --- the ids, checked before anything runs ---------------------------------------------------------


# --- which steps a repair walks (recorded Rocky 8.4 host) ------------------------------------------


# --- the check afterwards ----------------------------------------------------------------------------


# --- the report's repair line ------------------------------------------------------------------------


# --- a real repair on this machine -------------------------------------------------------------------


def test_a_check_that_writes_no_results_makes_every_asked_claim_an_error(tmp_path, capsys):
    """The suite refuses to start (its reports folder is a file): its last lines are shown, and each
    asked claim is an error, never a pass."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    args = check_args(reports_dir=str(blocker))
    got = verify(["k8s-prep-01"], args)
    assert got["k8s-prep-01"][0][1] == "error" and "wrote no results (exit 4" in got["k8s-prep-01"][0][2]
    assert "  | " in capsys.readouterr().out
    assert not say_verdicts(got)
