"""A local Unix socket whose every connection is joined to a fresh process (an `ssh ... command` through
the session's master): Docker reaches a root-only socket on the lab host this way."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
from collections.abc import Callable


class SocketRelay:
    """A Unix socket server: each client is joined to a fresh `ssh ... command` process."""

    def __init__(self, path: str, argv: list[str]) -> None:
        self.argv = argv
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        self._procs: list[subprocess.Popen[bytes]] = []
        self._closed = False
        threading.Thread(target=self._serve, daemon=True, name="lc-ssh-relay").start()

    def _serve(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            self._procs = [p for p in self._procs if p.poll() is None] + [proc]
            threading.Thread(target=self._up, args=(conn, proc), daemon=True).start()
            threading.Thread(target=self._down, args=(conn, proc), daemon=True).start()

    @staticmethod
    def _up(conn: socket.socket, proc: subprocess.Popen[bytes]) -> None:
        stdin = proc.stdin
        assert stdin is not None

        def write(data: bytes) -> None:
            stdin.write(data)
            stdin.flush()

        def end() -> None:
            with contextlib.suppress(OSError):
                stdin.close()

        _copy(conn.recv, write, end)

    @staticmethod
    def _down(conn: socket.socket, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None

        def end() -> None:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
            proc.wait()

        _copy(proc.stdout.read1, conn.sendall, end)

    def close(self) -> None:
        self._closed = True
        self.sock.close()
        for p in self._procs:
            if p.poll() is None:
                p.terminate()


def _copy(read: Callable[[int], bytes], write: Callable[[bytes], object], end: Callable[[], None]) -> None:
    """One direction of a relayed connection: copy until either side goes away, then end it."""
    try:
        with contextlib.suppress(OSError):  # the client or the process went away: the copy ends
            while data := read(65536):
                write(data)
    finally:
        end()
