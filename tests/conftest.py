"""Fixtures for labconform's own tests: run the real suite in a subprocess and read what it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.layers import layer_of

pytest_plugins = ["pytester", "tests.support.results_schema"]  # results_schema: every results.json written is checked

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    rc: int
    out: str
    err: str
    reports: Path

    @property
    def results(self) -> dict[str, Any]:
        return json.loads((self.reports / "latest" / "results.json").read_text())

    def verdicts(self) -> dict[str, str]:
        return {c["id"]: c["verdict"] for c in self.results["claims"]}

    def claim(self, claim_id: str) -> dict[str, Any]:
        return next(c for c in self.results["claims"] if c["id"] == claim_id)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test carries its folder's layer as its marker: `pytest tests/ -m unit` runs tests/unit/."""
    for item in items:
        if layer := layer_of(item.path):
            item.add_marker(getattr(pytest.mark, layer))


@pytest.fixture(params=[False, True], ids=["local", "ssh"])
def over_ssh(request) -> bool:
    """A fault test's run twice: against this machine (local://), then over the SSH transport."""
    return request.param


@pytest.fixture
def lab_lease(monkeypatch):
    """This lab's real lease, held while a fault test breaks the lab and restores it: nobody provisions or
    changes it meanwhile. What the test starts uses it as its own (lent), so a step that takes it does not wait."""
    from labconform.lease import LeaseKeeper
    from labconform.transport.target import Target

    lease = LeaseKeeper(Target("local"), "lc-fault-test", "a fault test breaks this lab and restores it")
    lease.acquire(wait_s=900)
    try:
        for name, value in lease.lend().items():
            monkeypatch.setenv(name, value)
        yield lease
    finally:
        lease.release()


@pytest.fixture
def suite(tmp_path: Path):
    """Run `pytest features/...` of this repository for real, in a subprocess, reports in tmp_path."""

    def run(*args: str, timeout: float = 300, env: dict[str, str] | None = None) -> Run:
        reports = tmp_path / "reports"
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "--reports-dir", str(reports), *args]
        p = subprocess.run(
            cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
        )
        return Run(p.returncode, p.stdout, p.stderr, reports)

    return run
