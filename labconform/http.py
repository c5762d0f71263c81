"""HTTP from where the address is reachable: this machine for a local lab, the lab host otherwise."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests

from labconform.target import Target

_session = requests.Session()


@dataclass(frozen=True)
class Response:
    url: str
    status: int | None  # None: no HTTP answer at all
    body: str
    elapsed_ms: float
    error: str = ""
    sent_from: str = "local"

    def evidence(self) -> dict[str, Any]:
        return {
            "request": f"GET {self.url} (from {self.sent_from})",
            "status": self.status,
            "body": self.body,
            "elapsed_ms": round(self.elapsed_ms, 1),
            **({"error": self.error} if self.error else {}),
        }


def get(target: Target, url: str, timeout: float = 10) -> Response:
    if target.is_local:
        t0 = time.perf_counter()
        try:
            r = _session.get(url, timeout=timeout)
            return Response(url, r.status_code, r.text, (time.perf_counter() - t0) * 1000)
        except requests.RequestException as exc:
            return Response(url, None, "", (time.perf_counter() - t0) * 1000, error=str(exc))
    # the lab host sends it: its published ports and pod IPs are reachable from there
    marker = "\n--labconform-http--"
    res = target.run(
        "curl -sS -o - -w %s --max-time %s %s",
        marker + r" %{http_code} %{time_total}",
        str(int(timeout)),
        url,
        timeout=timeout + 5,
    )
    body, _, tail = res.stdout.rpartition(marker)
    parts = tail.split()
    if res.rc != 0 or len(parts) != 2 or parts[0] == "000":
        return Response(url, None, "", 0.0, error=res.stderr.strip() or f"curl exit {res.rc}", sent_from=target.name)
    return Response(url, int(parts[0]), body, float(parts[1]) * 1000, sent_from=target.name)
