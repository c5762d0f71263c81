"""Bounded polling: wait for a condition with a deadline, never a bare sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from labconform.errors import Conclusive, WaitTimeout

T = TypeVar("T")


def until(
    observe: Callable[[], T],
    ok: Callable[[T], bool] = bool,
    *,
    timeout: float,
    interval: float = 0.2,
    what: str = "condition",
) -> T:
    """Call `observe` until `ok(result)` holds; return that result or raise WaitTimeout.

    An exception raised by `observe` counts as "not yet" and is kept as the last observation,
    so a service that is still starting does not end the wait early; but a Conclusive one (a lost
    target, a Docker engine silent for seconds) ends it at once: nothing will change by waiting.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = observe()
            if ok(value):
                return value
            last = value
        except Conclusive:
            raise
        except Exception as exc:  # noqa: BLE001 - "not yet", reported if the wait runs out
            last = exc
        if time.monotonic() >= deadline:
            raise WaitTimeout(what, timeout, last)
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
