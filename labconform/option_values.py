"""The values of options that are numbers, each with its range: a wait or a timeout is a finite number of seconds
from 0 to a day, so that `nan`, `inf` or a negative value is refused when the option is read, not met later as a
wait that never ends."""

from __future__ import annotations

import argparse
import math
import sys

from labconform.redact import redact_text

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


def shown(text: str, limit: int = 300) -> str:
    """A value or message as an error shows it: at most `limit` characters (a 1 MiB value is not echoed)."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


class Parser(argparse.ArgumentParser):
    """argparse's parser whose errors are one bounded, redacted line, with the exit status the command gives a
    usage error (2 unless said)."""

    usage_status = 2

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(redact_text(f"{self.prog}: error: {shown(message)}"), file=sys.stderr)
        sys.exit(self.usage_status)
