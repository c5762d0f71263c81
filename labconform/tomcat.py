"""What Tomcat says about itself: its startup log, read as data."""

from __future__ import annotations

import re
import time
from typing import Any

from labconform.docker_lab import DockerLab

SERVER_VERSION = re.compile(r"Server version name:\s*(.+)")
JVM_VERSION = re.compile(r"JVM Version:\s*(.+)")
JVM_ARG = re.compile(r"Command line argument:\s*(\S+)")
STARTUP = re.compile(r"Server startup in \[?([\d,]+)\]? ?milliseconds")
# SessionIdGeneratorBase.createSecureRandom warns with the time taken only above 100 ms
SECURE_RANDOM = re.compile(r"Creation of SecureRandom instance .*? took \[([\d,]+)\] milliseconds")
SECURE_RANDOM_LOG_THRESHOLD_MS = 100


def _ms(text: str) -> int:
    return int(text.replace(",", ""))


def first(pattern: re.Pattern[str], log: str) -> str | None:
    m = pattern.search(log)
    return m.group(1).strip() if m else None


def jvm_args(log: str) -> list[str]:
    return JVM_ARG.findall(log)


def startup_ms(log: str) -> int | None:
    v = first(STARTUP, log)
    return _ms(v) if v else None


def secure_random_ms(log: str) -> int | None:
    """The logged creation time, or None when Tomcat did not log it (it took 100 ms or less)."""
    v = first(SECURE_RANDOM, log)
    return _ms(v) if v else None


def measure_starts(docker: DockerLab, image: str, count: int, timeout: float) -> list[dict[str, Any]]:
    """Start `image` `count` times, one after another (no two JVMs compete), and read each startup.

    Each sample: Tomcat's own "Server startup in" figure, the wall time from `docker run` to that
    line, and the SecureRandom creation time when Tomcat logged one.
    """
    samples = []
    for i in range(count):
        w = docker.start(f"startup-{i + 1}", image)
        try:
            ready = docker.wait_started(w, timeout)
            log = docker.logs(w)
            samples.append(
                {
                    "start": i + 1,
                    "container": w.name,
                    "server_startup_ms": ready["tomcat_startup_ms"],
                    "run_to_startup_s": ready["seen_after_s"],
                    "secure_random_ms": secure_random_ms(log),
                    "secure_random_line": first(re.compile(r"(Creation of SecureRandom.*)"), log),
                    "at": time.strftime("%H:%M:%S"),
                }
            )
        finally:
            docker.remove(w)
    return samples
