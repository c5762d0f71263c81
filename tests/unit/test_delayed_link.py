"""scripts/delayed_link.py, the user-space stand-in for netem that scripts/bench_ssh.py --delay-ms puts
between the SSH client and its server: bytes pass intact and in order, and a round trip is held at least
twice the one-way delay (a lower bound: a busy machine only makes it longer)."""

from __future__ import annotations

import socket
import socketserver
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from delayed_link import delayed_link  # noqa: E402


class EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False  # a handler left reading must not hold the test


class Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


def test_the_relay_carries_bytes_in_order_and_holds_each_round_trip():
    with EchoServer(("127.0.0.1", 0), Echo) as echo:
        threading.Thread(target=echo.serve_forever, daemon=True).start()
        try:
            with delayed_link("127.0.0.1", echo.server_address[1], 25) as port:
                with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                    payload = bytes(range(256)) * 4096  # 1 MiB: many chunks, each held
                    got = bytearray()
                    sender = threading.Thread(target=s.sendall, args=(payload,))
                    sender.start()
                    while len(got) < len(payload):
                        got += s.recv(65536)
                    sender.join()
                    assert bytes(got) == payload
                    t0 = time.monotonic()
                    s.sendall(b"ping")
                    assert s.recv(16) == b"ping"
                    assert time.monotonic() - t0 >= 0.050  # 25 ms each way
        finally:
            echo.shutdown()


def test_a_closed_upstream_closes_the_client_side():
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        closed_port = free.getsockname()[1]
    with delayed_link("127.0.0.1", closed_port, 5) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            assert s.recv(16) == b""  # nothing listens upstream: the relay hangs up
