"""SIGTERM while a run finishes: held until its results are written (labconform/run/signals.py), with real signals
sent to a process of its own."""

from __future__ import annotations

import subprocess
import sys

from tests.support.midrun import as_at_a_terminal


def test_pytest_run_in_process_gives_the_process_its_handlers_back(tmp_path):
    """CI's tests run pytest in-process (pytester); a run that left SIGINT and SIGTERM ignored made every
    process the tests started after it deaf to Ctrl-C and SIGTERM."""
    script = (
        "import signal, sys, pytest\n"
        f"code = pytest.main(['-q', '-p', 'labconform.run.plugin', '--reports-dir', {str(tmp_path / 'r')!r}, "
        f"{str(tmp_path)!r}])\n"
        "assert code == 5, code  # no tests: the run went through configure, sessionfinish and unconfigure\n"
        "assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, signal.getsignal(signal.SIGTERM)\n"
        "assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, signal.getsignal(signal.SIGINT)\n"
        "print('given back')"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         preexec_fn=as_at_a_terminal)
    assert (out.returncode, out.stdout.strip().splitlines()[-1:]) == (0, ["given back"]), out.stdout + out.stderr
