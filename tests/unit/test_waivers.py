"""The waiver file: fields, dates, expiry, and usage errors that name the line."""

from __future__ import annotations

import datetime as dt

import pytest

from labconform.results.waivers import WaiverError, check_known, find, parse

GOOD = """\
# the offline lab's known deviations
- id: docker-03
  justification: >-
    PID 1 is not systemd in this VM.
  approver: lab-admins
  expires: 2030-01-31

- id: multi-02
  justification: memory is measured differently under cgroup v1
  approver: alice
  expires: "2020-05-01"
"""


def test_a_good_file() -> None:
    ws = parse(GOOD, "w.yaml")
    assert [w.id for w in ws] == ["docker-03", "multi-02"]
    assert ws[0].justification == "PID 1 is not systemd in this VM."
    assert ws[0].expires == dt.date(2030, 1, 31) and ws[0].line == 2
    assert ws[1].expires == dt.date(2020, 5, 1) and ws[1].line == 8


def test_expiry_is_inclusive_of_the_day() -> None:
    w = parse(GOOD)[0]
    assert not w.expired(dt.date(2030, 1, 30))
    assert w.expired(dt.date(2030, 1, 31))
    assert w.as_dict(dt.date(2030, 2, 1))["expired"] is True


def test_an_outline_waiver_covers_its_rows_and_an_exact_row_wins() -> None:
    ws = parse(GOOD) + parse("- {id: 'multi-02[mytc2]', justification: j, approver: a, expires: 2031-01-01}")
    assert find(ws, "multi-02[mytc1]").id == "multi-02"
    assert find(ws, "multi-02[mytc2]").id == "multi-02[mytc2]"
    assert find(ws, "multi-020") is None


def test_an_empty_file_waives_nothing() -> None:
    assert parse("") == [] and parse("# nothing yet\n") == []


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("- id: docker-03\n  approver: a\n  expires: 2030-01-01\n", 1, "missing field(s) justification"),
        ("- id: docker-03\n  justification: j\n  approver: a\n  expiry: 2030-01-01\n", 4, "unknown field 'expiry'"),
        ("- id: docker-03\n  justification: j\n  approver: a\n  expires: next year\n", 4, "not a date"),
        ("- id: docker-03\n  justification: j\n  approver: a\n  expires: 2030-01-01\n"
         "- id: docker-03\n  justification: k\n  approver: b\n  expires: 2030-01-01\n", 5, "already waived on line 1"),
        ("- id: docker-03\n  justification: [j\n", 3, "not valid YAML"),
        ("id: docker-03\n", 1, "expected a list of waivers"),
        ("- just a string\n", 1, "a waiver is a mapping"),
        ("- id: docker-03\n  justification:\n  approver: a\n  expires: 2030-01-01\n", 2, "non-empty"),
        ("- id: two words\n  justification: j\n  approver: a\n  expires: 2030-01-01\n", 1, "is not a claim id"),
    ],
)
def test_problems_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(WaiverError) as exc:
        parse(text, "lab/waivers.yaml")
    assert f"lab/waivers.yaml:{line}:" in str(exc.value)
    assert words in str(exc.value)


def test_unknown_claim_ids_are_refused_with_their_line() -> None:
    ws = parse(GOOD, "w.yaml")
    check_known(ws, {"docker-03", "multi-02"})
    with pytest.raises(WaiverError, match=r"w\.yaml:8: waiver for unknown claim id 'multi-02'"):
        check_known(ws, {"docker-03", "multi-01"})
