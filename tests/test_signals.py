"""SIGTERM while a run finishes: held until its results are written (labconform/signals.py), with real signals
sent to a process of its own."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import os, signal
from labconform.signals import RunSignals
s = RunSignals()
s.take()
assert s.owned
try:
    os.kill(os.getpid(), signal.SIGTERM)
except KeyboardInterrupt:
    print("claims: interrupted")
s.hold()
os.kill(os.getpid(), signal.SIGTERM)
print("finishing: held", s.held)
try:
    os.kill(os.getpid(), signal.SIGINT)
except KeyboardInterrupt:
    print("finishing: a second one stops")
print("released", s.release())
os.kill(os.getpid(), signal.SIGTERM)
print("after: still here")
"""


@pytest.mark.unit
def test_a_signal_interrupts_claims_but_waits_for_the_results_and_a_second_one_does_not():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "claims: interrupted",
        "finishing: held 15",
        "finishing: a second one stops",
        "released True",
        "after: still here",
    ]
    assert "the results are written first" in out.stderr


@pytest.mark.unit
def test_a_process_with_its_own_sigterm_handler_keeps_it():
    script = (
        "import signal\nfrom labconform.signals import RunSignals\n"
        "mine = lambda *a: None\nsignal.signal(signal.SIGTERM, mine)\n"
        "s = RunSignals(); s.take(); s.hold()\n"
        "assert not s.owned and signal.getsignal(signal.SIGTERM) is mine and not s.release()\nprint('kept')"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert (out.returncode, out.stdout.strip()) == (0, "kept"), out.stderr
