"""Every results.json a test's run wrote is checked against docs/results.schema.json (a pytest plugin).

Loaded from tests/conftest.py. After each test that used `tmp_path` or `pytester`, the run folders
under them (a results.json beside the junit.xml and cucumber.json written with it, so a document a
test wrote by hand on purpose is left alone) are validated; a document that breaks the schema fails
the test in its teardown, with what broke and where.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from labconform.redact import redact_text

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "results.schema.json"
VALIDATOR = Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def schema_errors(doc: Any) -> list[str]:
    """What in a results document breaks the published schema, or that its counts do not add up."""
    errors = [f"{e.json_path}: {e.message[:300]}" for e in VALIDATOR.iter_errors(doc)]
    if not errors:  # what a schema cannot say: counts are the claims' verdicts, counted
        counted = {v: sum(c["verdict"] == v for c in doc["claims"]) for v in doc["counts"]}
        if counted != doc["counts"]:
            errors.append(f"$.counts: {doc['counts']} but the claims' verdicts count {counted}")
    return errors


def written_runs(root: Path) -> list[Path]:
    """The results.json files of the run folders under root (reports/latest counted once)."""
    seen: dict[Path, Path] = {}
    for path in root.rglob("results.json"):
        folder = path.parent
        if (folder / "junit.xml").exists() and (folder / "cucumber.json").exists():
            seen.setdefault(path.resolve(), path)
    return sorted(seen.values())


@pytest.fixture(autouse=True)
def _results_json_follows_its_schema(request: pytest.FixtureRequest) -> Iterator[None]:
    # asked for before the test (which asks for them anyway), so they outlive this check
    roots = []
    if "tmp_path" in request.fixturenames:
        roots.append(request.getfixturevalue("tmp_path"))
    if "pytester" in request.fixturenames:
        roots.append(request.getfixturevalue("pytester").path)
    yield
    broken = []
    for root in roots:
        for path in written_runs(Path(root)):
            try:
                doc = json.loads(path.read_text())
            except (OSError, ValueError) as exc:
                broken.append(f"{path}: not readable JSON: {exc}")
                continue
            broken += [f"{path}: {e}" for e in schema_errors(doc)[:10]]
    if broken:
        pytest.fail(redact_text(f"results.json breaks {SCHEMA_PATH.name}:\n" + "\n".join(broken)), pytrace=False)
