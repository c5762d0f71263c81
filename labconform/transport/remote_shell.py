"""A resident `sh` on the lab host that runs command lines back to back: each answer is a header with the
exit status and the byte counts of stdout and stderr, then those bytes."""

from __future__ import annotations

import base64
import os
import select
import subprocess
import time

SHELL_INIT = b"""T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
echo LC-READY
"""


def end_within(proc: subprocess.Popen[bytes], grace: float) -> None:
    """`proc` given `grace` seconds to exit, then killed; waited for either way."""
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class RemoteShell:
    """`sh` on the lab host reading commands from stdin; each answer is a header with the exit
    status and the byte counts of stdout and stderr, then those bytes."""

    def __init__(self, argv: list[str], where: str) -> None:
        self.where = where
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._buf = b""
        assert self.proc.stdin is not None
        self.proc.stdin.write(SHELL_INIT)
        self.proc.stdin.flush()
        deadline = time.monotonic() + 60
        while True:  # whatever the login shell printed before our marker is not ours
            if self._readline(deadline).strip() == b"LC-READY":
                break

    def _fill(self, deadline: float | None) -> None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        wait = None if deadline is None else max(deadline - time.monotonic(), 0)
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            raise TimeoutError
        data = os.read(fd, 1 << 16)
        if not data:
            raise EOFError(f"{self.where}: the remote shell ended")
        self._buf += data

    def _readline(self, deadline: float | None) -> bytes:
        while b"\n" not in self._buf:
            self._fill(deadline)
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def _read(self, n: int, deadline: float | None) -> bytes:
        while len(self._buf) < n:
            self._fill(deadline)
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def run(self, line: str, timeout: float | None, data: bytes | None = None) -> tuple[int, str, str]:
        """`line`'s exit status, stdout and stderr; `data`, when given, is its stdin (sent in the same write as the
        command, as a here-document the shell decodes: any size, no argument limit, no extra round trip)."""
        assert self.proc.stdin is not None
        run = f'{{ {line}\n}} </dev/null >"$T/o" 2>"$T/e"; r=$?\n'
        if data is not None:  # the command runs only on the whole input; base64 has no "-" to end the marker early
            run = (f"if base64 -d >\"$T/i\" <<'LC-DATA'\n{base64.encodebytes(data).decode()}LC-DATA\n"
                   f'then {{ {line}\n}} <"$T/i" >"$T/o" 2>"$T/e"; r=$?\n'
                   'else r=125; : >"$T/o"; echo "labconform: the command\'s input was not written whole" >"$T/e"; fi\n'
                   'rm -f "$T/i"\n')
        script = run + 'printf "LC-END %s %s %s\\n" "$r" "$(wc -c <"$T/o")" "$(wc -c <"$T/e")"; cat "$T/o" "$T/e"\n'
        self.proc.stdin.write(script.encode())
        self.proc.stdin.flush()
        deadline = None if timeout is None else time.monotonic() + timeout
        header = self._readline(deadline).split()
        if len(header) != 4 or header[0] != b"LC-END":
            raise EOFError(f"{self.where}: unexpected answer from the remote shell: {header!r}")
        rc, olen, elen = int(header[1]), int(header[2]), int(header[3])
        out = self._read(olen, deadline)
        err = self._read(elen, deadline)
        return rc, out.decode("utf-8", errors="replace"), err.decode("utf-8", errors="replace")

    def close(self) -> None:
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass
        end_within(self.proc, 3)
