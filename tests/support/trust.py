"""What the lab, unit tests of test_trust.py share."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from labconform.transport.target import Target

TOP = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def target() -> Target:
    return Target("local")


# --- expiry: R11 is valid until 2027-03-12; after that every check is made inside its validity ----

AFTER_EXPIRY = datetime(2027, 6, 1, tzinfo=UTC)


# --- the JVM in the mytc image, for real ---------------------------------------------------------


# --- a live handshake without the Internet: a TLS server on this machine's docker0 address ------


def run_claims(tmp_path: Path, params: dict, *args: str) -> dict[str, dict]:
    """A real run of the claims with these lab parameters: verdicts by claim id."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    pfile = tmp_path / "params.yaml"
    pfile.write_text(yaml.safe_dump(params))
    name = f"lc-test-trust-{uuid.uuid4().hex[:6]}"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "--lab-params", str(pfile),
         "--reports-dir", str(tmp_path / "reports"), "--run-name", name, *args],
        cwd=TOP, capture_output=True, text=True, timeout=300,
    )
    results = tmp_path / "reports" / name / "results.json"
    assert results.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return {c["id"]: c for c in json.loads(results.read_text())["claims"]}
