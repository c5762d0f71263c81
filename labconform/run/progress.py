"""A line on the terminal while a claim runs, for a wait of more than a few seconds: pytest captures
the output of a test, so the line is written with capture suspended, the way live logging does."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from labconform.redact import redact_text


def to_terminal(config: pytest.Config) -> Callable[[str], None]:
    capture = config.pluginmanager.getplugin("capturemanager")
    terminal = config.pluginmanager.getplugin("terminalreporter")

    def say(text: str) -> None:
        line = redact_text(f"labconform: {text}")
        if terminal is None:
            return
        if capture is None:
            terminal.write_line(line)
            return
        with capture.global_and_fixture_disabled():
            terminal.write_line(line)

    return say
