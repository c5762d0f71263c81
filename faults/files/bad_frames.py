"""A device on the lab's Docker bridge that sends frames the host cannot take: the bridge's rx_dropped grows for
real (glitch-04), as it does behind a failing port. `bad_frames.py break` attaches a veth pair to docker0 and
leaves a sender running (at most LIFETIME_S, then it removes its pair itself); `bad_frames.py restore` stops it
and removes the pair (both may be run again)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BRIDGE = "docker0"
PORT, PEER = "lc-fault-gl0", "lc-fault-gl1"
PID_FILE = Path("/var/tmp/lc-fault-frames.pid")
LIFETIME_S = 600
ETHERTYPE = b"\x88\xb5"  # IEEE's local experimental type: no protocol of the host takes it, so it is dropped


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10, check=check)


def dropped() -> int:
    return int(Path(f"/sys/class/net/{BRIDGE}/statistics/rx_dropped").read_text())


def send() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    dst = bytes.fromhex(Path(f"/sys/class/net/{BRIDGE}/address").read_text().strip().replace(":", ""))
    src = bytes.fromhex(Path(f"/sys/class/net/{PEER}/address").read_text().strip().replace(":", ""))
    frame = dst + src + ETHERTYPE + b"labconform fault: a frame the host drops".ljust(46, b".")
    try:
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
            s.bind((PEER, 0))
            end = time.monotonic() + LIFETIME_S
            while time.monotonic() < end:
                s.send(frame)
                time.sleep(0.2)
    finally:
        ip("link", "del", PORT, check=False)


def sender_pid() -> int | None:
    with contextlib.suppress(OSError, ValueError):
        pid = int(PID_FILE.read_text())
        if __file__.rsplit("/", 1)[-1] in Path(f"/proc/{pid}/cmdline").read_text():
            return pid
    return None


def make() -> None:
    if sender_pid() is not None:
        return
    ip("link", "del", PORT, check=False)
    ip("link", "add", PORT, "type", "veth", "peer", "name", PEER)
    ip("link", "set", PORT, "master", BRIDGE)
    ip("link", "set", PORT, "up")
    ip("link", "set", PEER, "up")
    before = dropped()
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "send"], start_new_session=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    PID_FILE.write_text(str(proc.pid))
    end = time.monotonic() + 10
    while dropped() <= before:  # the fault is made once the bridge has dropped a frame
        if time.monotonic() > end or proc.poll() is not None:
            sys.exit(f"{BRIDGE}'s rx_dropped did not grow within 10 s")
        time.sleep(0.2)


def undo() -> None:
    pid = sender_pid()
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        end = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and time.monotonic() < end:
            time.sleep(0.1)
    ip("link", "del", PORT, check=False)
    PID_FILE.unlink(missing_ok=True)


if __name__ == "__main__":
    {"break": make, "restore": undo, "send": send}[sys.argv[1]]()
