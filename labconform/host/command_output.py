"""A lab's own claims about a command run on its host, as the admin wrote it in their feature file: run by
the lab host's shell, bounded by a timeout, judged on its exit status and on what it prints (a text, a
regular expression, a value at a path of its JSON). What it printed is kept in the evidence, redacted."""

from __future__ import annotations

import json
import re
from typing import Any

from labconform.errors import UsageError
from labconform.judged import Judged
from labconform.redact import redact_text
from labconform.transport.target import Result, Target

TIMEOUT_S = 60
_SHOWN = 2000  # characters of stdout and stderr kept in the evidence


def run(t: Target, command: str, timeout: float = TIMEOUT_S) -> Result:
    if not command.strip() or len(command) > 4096 or "\x00" in command:
        raise UsageError("a command claim's command: 1 to 4096 characters, no NUL")
    return t.run(command, timeout=timeout)


def _details(res: Result) -> dict[str, Any]:
    return {"exit_status": res.rc, "stdout": redact_text(res.stdout[-_SHOWN:]),
            "stderr": redact_text(res.stderr[-_SHOWN:])}


def _how(res: Result, timeout: float) -> str:
    return f"sh -c on the lab host, at most {int(timeout)} s: {redact_text(res.command)}"


def judged_exit(t: Target, command: str, status: int, timeout: float = TIMEOUT_S) -> Judged:
    """The command exits with `status` (124: it ran out of its timeout)."""
    res = run(t, command, timeout)
    return Judged(res.rc == status, "command", {"exit status": status}, {"exit status": res.rc},
                  _how(res, timeout), details=_details(res))


def judged_prints(t: Target, command: str, text: str, timeout: float = TIMEOUT_S) -> Judged:
    """The command exits 0 and its stdout contains `text`."""
    res = run(t, command, timeout)
    ok = res.rc == 0 and text in res.stdout
    found = {"exit status": res.rc, "stdout": "contains it" if text in res.stdout else "does not contain it"}
    return Judged(ok, "command", {"exit status": 0, "stdout contains": text}, found, _how(res, timeout),
                  details=_details(res))


def judged_prints_matching(t: Target, command: str, pattern: str, timeout: float = TIMEOUT_S) -> Judged:
    """The command exits 0 and a line of its stdout matches the regular expression `pattern`."""
    try:
        rx = re.compile(pattern, re.MULTILINE)
    except re.error as exc:
        raise UsageError(f"regular expression {pattern!r}: {exc}") from None
    res = run(t, command, timeout)
    m = rx.search(res.stdout)
    found = {"exit status": res.rc, "match": redact_text(m.group(0)[:200]) if m else None}
    return Judged(res.rc == 0 and m is not None, "command", {"exit status": 0, "stdout matches": f"/{pattern}/"},
                  found, _how(res, timeout), details=_details(res))


def at_path(doc: Any, path: str) -> Any:
    """The value at a dotted path ("items.0.name": keys, and list indexes as numbers); KeyError when absent."""
    for part in path.split("."):
        if isinstance(doc, list) and part.lstrip("-").isdigit() and -len(doc) <= int(part) < len(doc):
            doc = doc[int(part)]
        elif isinstance(doc, dict) and part in doc:
            doc = doc[part]
        else:
            raise KeyError(part)
    return doc


def judged_json(t: Target, command: str, path: str, value: str, timeout: float = TIMEOUT_S) -> Judged:
    """The command exits 0, prints JSON, and the value at `path` is `value` (compared as JSON when `value`
    parses as JSON - 3, true, "x" - else as the text of a string)."""
    if not re.fullmatch(r"[^.\s]+(\.[^.\s]+)*", path):
        raise UsageError(f"JSON path {path!r}: keys and list indexes joined by dots, such as items.0.name")
    try:
        want: Any = json.loads(value)
    except ValueError:
        want = value
    res = run(t, command, timeout)
    try:
        found: Any = at_path(json.loads(res.stdout), path)
    except ValueError as exc:
        found = f"not JSON: {exc}"
    except KeyError as exc:
        found = f"no {exc.args[0]!r} on the path"
    ok = res.rc == 0 and found == want
    return Judged(ok, "command", {path: want}, {path: redact_text(str(found)) if isinstance(found, str) else found},
                  _how(res, timeout), details=_details(res))
