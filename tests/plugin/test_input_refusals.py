"""Bad input to `pytest features/` is a usage error (exit 4) before any claim runs, one line naming the option,
never a traceback and never a run that is lost at its end (issue 25)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def refused(run, *args: str) -> str:
    r = run("features/10_hello.feature", *args, timeout=120)
    said = r.out + r.err
    assert r.rc == 4, said[-2000:]
    assert "Traceback" not in said and "INTERNALERROR" not in said, said[-2000:]
    assert not (r.reports / "latest").exists(), "no run was made"
    return said


def test_a_baseline_claim_without_an_id_is_refused_before_the_claims_run(suite, tmp_path: Path) -> None:
    bad = tmp_path / "results.json"
    bad.write_text(json.dumps({"schema": "labconform.results", "schema_version": 1, "claims": [{"verdict": "x"}]}))
    said = refused(suite, "--baseline", str(bad))
    assert "--baseline" in said and "claims[0]: expected a mapping with a non-empty id" in said


@pytest.mark.parametrize("args, says", [
    (("--target", ""), "empty; say local"),
    (("--target", "ssh://root@-oProxyCommand=touch"), "may not start with '-'"),
    (("--lease-wait", "nan"), "seconds from 0 to"),
    (("--lab-params", "/dev/zero"), "not a regular file"),
    (("--waivers", "/dev/zero"), "not a regular file"),
])
def test_a_bad_option_value_is_one_line(suite, args, says) -> None:
    assert says in refused(suite, *args)
