"""The values of options that are numbers, each with its range: a wait or a timeout is a finite number of seconds
from 0 to a day, so that `nan`, `inf` or a negative value is refused when the option is read, not met later as a
wait that never ends."""

from __future__ import annotations

import argparse
import math

MAX_SECONDS = 86_400.0


def seconds(text: str) -> float:
    """An argparse (and pytest option) type: seconds, finite, from 0 to MAX_SECONDS."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number of seconds") from None
    if not math.isfinite(value) or not 0 <= value <= MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"{text[:40]!r}: seconds from 0 to {MAX_SECONDS:g}")
    return value
