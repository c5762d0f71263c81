"""What a judging function of the library hands a step: whether the thing holds, what was looked at,
expected, found and how, the details a reviewer may want (with, for those the report draws, their kind), and
why it cannot be judged on this lab when it cannot. A step records it with `evidence.judged` and nothing else."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labconform.errors import Conclusive, UsageError


@dataclass
class Seen:
    """Whether a thing holds (None: not judged), what was looked at, expected, found, and how."""

    ok: bool | None
    what: str
    expected: Any
    found: Any
    how: str


@dataclass
class Judged(Seen):
    """One observation as a step records it: whether it holds, what was looked at, expected, found, how, and
    why the claim cannot be judged here when it cannot. `kinds` names how the report draws a detail
    ({detail key: kind}, one of `KINDS`); a detail without one is drawn by what its key and value look like."""

    ok: bool
    not_applicable: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)


# how the report draws a detail: bars of a count per name, a chart of samples in ms, s or Mb/s, HTTP
# exchanges, rows of samples as a table, or the value as it is
KINDS = ("balance", "chart:ms", "chart:s", "chart:mbps", "http", "rows", "value")



def converged(judge: Callable[[], Judged], seconds: float, interval: float = 1.0) -> Judged:
    """`judge` asked again until it holds or `seconds` have passed, for a claim "within N seconds": the last
    Judged, with the attempts and the time waited in its details. An exception of `judge` is "not yet" (an API
    server restarting), raised when no attempt gave a Judged; a malformed argument (UsageError) or a Conclusive
    one (a lost lab) ends the wait at once: waiting would not change it."""
    started = time.monotonic()
    deadline, attempts = started + seconds, 0
    last: Judged | None = None
    failure: Exception | None = None
    while True:
        attempts += 1
        try:
            last, failure = judge(), None
        except (UsageError, Conclusive):
            raise
        except Exception as exc:  # noqa: BLE001 - "not yet", raised if the wait runs out on it
            failure = exc
        if (last is not None and failure is None and (last.ok or last.not_applicable)) \
                or time.monotonic() >= deadline:
            break
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
    if last is None or failure is not None and not last.ok:
        raise failure  # type: ignore[misc]
    last.details = {**last.details, "attempts": attempts, "waited_s": round(time.monotonic() - started, 1),
                    "within_s": seconds}
    return last
