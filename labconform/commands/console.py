"""What a command prints as it goes: one line at a time, redacted, flushed, each under the command's prefix."""

from __future__ import annotations

from collections.abc import Callable

from labconform.redact import redact_text


def printer(prefix: str = "") -> Callable[[str], None]:
    """A `say` for one command: prints `prefix + text` redacted and at once (a log read while it runs)."""

    def say(text: str) -> None:
        print(redact_text(f"{prefix}{text}"), flush=True)

    return say
