"""The layers of labconform's own tests: the folder a test file sits in under tests/ is its layer, and the
layer is the marker it carries (`pytest tests/ -m unit`), set at collection (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

# fastest first: the order .ci/run runs them in (scripts/test.sh)
LAYERS = ("unit", "plugin", "lab", "faults")
TESTS = Path(__file__).resolve().parents[1]


def layer_of(path: Path) -> str | None:
    """The layer of a test file: the first folder under tests/, when it names one."""
    try:
        first = Path(path).resolve().relative_to(TESTS).parts[0]
    except (ValueError, IndexError):
        return None
    return first if first in LAYERS else None
