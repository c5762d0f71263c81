"""HTTP from where the address is reachable: this machine for a local lab, the lab host otherwise."""

from __future__ import annotations

import base64
import http.cookiejar
import statistics
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import requests

from labconform.evidence import summary
from labconform.judged import Judged
from labconform.transport.target import Target

_session = requests.Session()
# each request is a new client, as the document's wget is: no cookie is kept to be sent back (a session
# cookie sent back would hide the next answer's Set-Cookie, as curl on a remote lab never sends one)
_session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


@dataclass(frozen=True)
class Response:
    url: str
    status: int | None  # None: no HTTP answer at all
    body: str
    elapsed_ms: float
    error: str = ""
    sent_from: str = "local"
    headers: dict[str, str] | None = None  # names in lower case; repeated headers joined with ", "

    def header(self, name: str) -> str | None:
        return (self.headers or {}).get(name.lower())

    def evidence(self) -> dict[str, Any]:
        return {
            "request": f"GET {self.url} (from {self.sent_from})",
            "status": self.status,
            "body": self.body,
            "elapsed_ms": round(self.elapsed_ms, 1),
            **({"error": self.error} if self.error else {}),
            **({"headers": self.headers} if self.headers else {}),
        }


def get(target: Target, url: str, timeout: float = 10) -> Response:
    if target.is_local:
        t0 = time.perf_counter()
        try:
            r = _session.get(url, timeout=timeout)
            headers = {k.lower(): v for k, v in r.headers.items()}
            return Response(url, r.status_code, r.text, (time.perf_counter() - t0) * 1000, headers=headers)
        except requests.RequestException as exc:
            return Response(url, None, "", (time.perf_counter() - t0) * 1000, error=str(exc))
    return get_many(target, url, 1, timeout)[0]  # the lab host sends it: its ports and pod IPs answer there


# `count` GETs of a URL, one after another, each a new curl; each answer: a line with curl's exit status, the
# status code and the time, then the body, the header block and curl's error, each in base64 on one line
CURL_LOOP = r"""d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
trap 'exit 143' TERM
i=0
while [ "$i" -lt "$1" ]; do
  i=$((i + 1))
  w=$(curl -sS -D "$d/h" -o "$d/b" -w '%{http_code} %{time_total}' --max-time "$2" "$3" 2>"$d/e"); rc=$?
  printf 'LC-ANSWER %s %s\n' "$rc" "$w"
  for f in b h e; do cat "$d/$f" 2>/dev/null | base64 | tr -d '\n'; echo; done
  rm -f "$d/b" "$d/h" "$d/e"
done
"""


def get_many(target: Target, url: str, count: int, timeout: float = 10) -> list[Response]:
    """`count` GETs of `url`, one after another, each from a new client and timed alone; sent by the lab host
    (its published ports and pod IPs answer there), all of them in one command: one round trip, not one each."""
    if target.is_local:
        return [get(target, url, timeout) for _ in range(count)]
    return curl_on_lab_host(target, url, count, timeout)


def curl_on_lab_host(target: Target, url: str, count: int = 1, timeout: float = 10) -> list[Response]:
    """`count` GETs of `url` by curl on the lab host, this machine included: its resolver, its routes and its
    trust store (a TLS URL is verified against the host's own CA bundle)."""
    res = target.run("sh -c %s sh %s %s %s", CURL_LOOP, str(count), str(int(timeout)), url,
                     timeout=count * (int(timeout) + 1) + 5)
    lines = res.stdout.splitlines()
    answers = []
    for i, line in enumerate(lines):
        if line.startswith("LC-ANSWER ") and len(lines) >= i + 4:
            rc, *fields = line.split()[1:]
            body, head, err = (base64.b64decode(x).decode("utf-8", errors="replace") for x in lines[i + 1:i + 4])
            answers.append(_answer(target, url, int(rc), fields, body, head, err))
    lost = f"no answer: the loop of GETs on the lab host ended early ({res.stderr.strip()[-300:] or f'exit {res.rc}'})"
    return answers + [Response(url, None, "", 0.0, error=lost, sent_from=target.name)] * (count - len(answers))


def _answer(target: Target, url: str, rc: int, fields: list[str], body: str, head: str, err: str) -> Response:
    """One curl's answer: `fields` are its status code and total time, `head` the header block it wrote."""
    if rc != 0 or len(fields) != 2 or fields[0] == "000":
        return Response(url, None, "", 0.0, error=err.strip() or f"curl exit {rc}", sent_from=target.name)
    return Response(url, int(fields[0]), body, float(fields[1]) * 1000, sent_from=target.name,
                    headers=parse_headers(head))


def parse_headers(head: str) -> dict[str, str]:
    """A header block (status line first) as {lower-case name: value}, repeated names joined with ", "."""
    out: dict[str, str] = {}
    for line in head.splitlines()[1:]:
        name, sep, value = line.partition(":")
        if sep and not name.startswith(" "):
            key = name.strip().lower()
            out[key] = f"{out[key]}, {value.strip()}" if key in out else value.strip()
    return out


# --- answers judged (the steps record what these hand back) ------------------------------------------------


def judge_status(r: Response, status: int, source: str) -> Judged:
    """Whether GET answered with `status`; no HTTP answer at all is found as its error."""
    found = r.status or r.error
    return Judged(found == status, f"HTTP status from {source}", status, found, f"GET {r.url}",
                  details={"response": r.evidence()})


def judge_body(r: Response, what: str, expected: str, accepted: Collection[str] | None = None) -> Judged:
    """Whether the answer's body (stripped) is `expected`, or one of `accepted` when given (none accepted when it
    is empty); no answer is found as its error."""
    body = r.body.strip()
    return Judged(body in (accepted if accepted is not None else {expected}), what, expected, body or r.error,
                  f"GET {r.url}", details={"response": r.evidence()})


def judge_first_slower(answers: list[Response]) -> Judged:
    """Whether the first of several timed answers was slower than the median of the later ones (the JSP is
    compiled by the first request); fewer than three answers cannot show it."""
    ms = [r.elapsed_ms for r in answers]
    ok = len(ms) > 2 and ms[0] > statistics.median(ms[1:])
    found = {"first_ms": round(ms[0], 1), "later": summary(ms[1:])} if len(ms) > 1 else \
        f"{len(ms)} answer(s): nothing to compare"
    return Judged(ok, "first request vs later ones", "first slower than the median of the rest", found,
                  f"{len(ms)} x GET / timed on the client", details={"samples_ms": [round(m, 1) for m in ms]})


def judge_later_median(answers: list[Response], limit: int) -> Judged:
    """Whether every answer was 200 and the median time of the answers after the first is under `limit` ms."""
    later = [r.elapsed_ms for r in answers[1:]]
    ok = all(r.status == 200 for r in answers) and bool(later) and statistics.median(later) < limit
    return Judged(ok, "later requests", f"all 200, median < {limit} ms",
                  {"statuses": sorted({r.status for r in answers}, key=str), **(summary(later) if later else {"n": 0})},
                  "GET / timed on the client", details={"samples_ms": [round(m, 1) for m in later]})
