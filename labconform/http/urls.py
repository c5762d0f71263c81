"""A lab's own claims about a URL, asked from the lab host by curl (its resolver, its routes, and for https its
own trust store): the status it answers, a text in its body, a header."""

from __future__ import annotations

import re

from labconform.errors import UsageError
from labconform.http.client import Response, curl_on_lab_host
from labconform.judged import Judged
from labconform.transport.target import Target

TIMEOUT_S = 10


def _get(t: Target, url: str) -> Response:
    if not re.fullmatch(r"https?://[^\s/?#]+[^\s]*", url) or len(url) > 2048:
        raise UsageError(f"URL {url[:100]!r}: an http:// or https:// URL without spaces, 2048 characters at most")
    return curl_on_lab_host(t, url, 1, TIMEOUT_S)[0]


def judged_status(t: Target, url: str, status: int) -> Judged:
    r = _get(t, url)
    return Judged(r.status == status, url, {"status": status}, {"status": r.status or r.error},
                  f"curl on the lab host ({t.name}), the host's own trust store for https", details=r.evidence())


def judged_body(t: Target, url: str, text: str) -> Judged:
    """The URL answers 2xx with `text` in its body."""
    r = _get(t, url)
    ok = r.status is not None and 200 <= r.status < 300 and text in r.body
    found = {"status": r.status or r.error, "body": "contains it" if text in r.body else "does not contain it"}
    return Judged(ok, url, {"status": "2xx", "body contains": text}, found,
                  f"curl on the lab host ({t.name})", details=r.evidence())


def judged_header(t: Target, url: str, name: str, value: str) -> Judged:
    """The answer carries the header `name` (any case) and its value contains `value`."""
    r = _get(t, url)
    got = r.header(name)
    return Judged(got is not None and value in got, url, {name: f"contains {value}"},
                  {name: got if got is not None else "no such header", "status": r.status or r.error},
                  f"curl on the lab host ({t.name})", details=r.evidence())
