"""--target: malformed specs are usage errors; an unreachable lab makes every claim an error, quickly."""

from __future__ import annotations

from labconform.transport.target import Target


def test_local_facts_are_read():
    facts = Target("local").facts
    assert facts.family == "debian" and facts.kernel and facts.init


