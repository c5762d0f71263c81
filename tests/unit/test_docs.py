"""The docs name only files that exist, and docs/architecture.md stays short enough to read in five minutes."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOPS = ("labconform", "provision", "steps", "tests", "scripts", "features", "docs", "labs", "faults")
NAMED = re.compile(rf"(?<![\w/.<-])((?:{'|'.join(TOPS)})/[\w./-]*\w\.(?:py|md|feature|yaml|json|sh|xsd|pem|conf|rb))\b")
ARCHITECTURE_WORDS = 1400  # about five minutes at a reading pace


def named_files(text: str) -> set[str]:
    return set(NAMED.findall(text))


def test_every_file_the_docs_name_exists() -> None:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    missing = {f"{page.relative_to(REPO)}: {name}" for page in pages for name in named_files(page.read_text())
               if not (REPO / name).exists()}
    assert not missing, "the docs name files that do not exist: " + ", ".join(sorted(missing))


def test_the_check_finds_the_names_a_page_gives() -> None:
    text = "see `labconform/run/plugin.py`, tests/unit/test_docs.py and docs/gate.md; not reports/<run>/x.json"
    assert named_files(text) == {"labconform/run/plugin.py", "tests/unit/test_docs.py", "docs/gate.md"}


def test_the_architecture_page_reads_in_five_minutes() -> None:
    text = (REPO / "docs" / "architecture.md").read_text()
    words = len(text.split())
    assert words <= ARCHITECTURE_WORDS, f"docs/architecture.md has {words} words (at most {ARCHITECTURE_WORDS})"
    long = [i for i, line in enumerate(text.splitlines(), 1) if len(line) > 400]
    assert not long, f"docs/architecture.md: lines over 400 characters: {long}"
