"""SIGTERM while a run finishes: held until its results are written (labconform/run/signals.py), with real signals
sent to a process of its own."""

from __future__ import annotations

import subprocess
import sys

from tests.support.midrun import as_at_a_terminal

SCRIPT = """
import os, signal
from labconform.run.signals import RunSignals
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
assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
print("after: the process's own handlers", flush=True)
os.kill(os.getpid(), signal.SIGTERM)
print("never printed")
"""


def test_a_signal_interrupts_claims_but_waits_for_the_results_and_a_second_one_does_not():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=30,
                         preexec_fn=as_at_a_terminal)
    assert out.returncode == -15, out.stderr  # the default SIGTERM again: killed by it
    assert out.stdout.splitlines() == [
        "claims: interrupted",
        "finishing: held 15",
        "finishing: a second one stops",
        "released True",
        "after: the process's own handlers",
    ]
    assert "the results are written first" in out.stderr


def test_a_process_with_its_own_sigterm_handler_keeps_it():
    script = (
        "import signal\nfrom labconform.run.signals import RunSignals\n"
        "mine = lambda *a: None\nsignal.signal(signal.SIGTERM, mine)\n"
        "s = RunSignals(); s.take(); s.hold()\n"
        "assert not s.owned and signal.getsignal(signal.SIGTERM) is mine and not s.release()\nprint('kept')"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30,
                         preexec_fn=as_at_a_terminal)
    assert (out.returncode, out.stdout.strip()) == (0, "kept"), out.stderr


