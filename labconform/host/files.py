"""A lab's own claims about a file on its host: it exists (as a file, a directory, a link), its mode, owner
and group, what its content holds (a text, a regular expression, a sha256), or that it is absent. Read on the
lab host with stat, head and sha256sum: the content is read up to MAX_BYTES, never whole whatever its size."""

from __future__ import annotations

import re
from typing import Any

from labconform.errors import UsageError
from labconform.judged import Judged
from labconform.transport.target import Target

MAX_BYTES = 16 * 1024 * 1024
STAT = "stat %s -c '%%F\t%%a\t%%U\t%%G\t%%s' -- %s"
KINDS = {"file": ("regular file", "regular empty file"), "directory": ("directory",), "link": ("symbolic link",),
         "socket": ("socket",), "fifo": ("fifo",)}


def _stat(t: Target, path: str, follow: bool = True) -> tuple[dict[str, Any] | None, str]:
    """What stat says of `path` (of what a symbolic link points to, unless `follow` is False)."""
    res = t.run(STAT, "-L" if follow else "-P", path, timeout=30)
    fields = res.stdout.rstrip("\n").split("\t")
    if res.rc != 0 or len(fields) != 5:
        return None, res.command
    return {"type": fields[0], "mode": fields[1].zfill(4), "owner": fields[2], "group": fields[3],
            "size": int(fields[4]) if fields[4].isdigit() else fields[4]}, res.command


def octal_mode(mode: str) -> str:
    """A mode as the claim writes it ("0644", "644", "1777"), checked: four octal digits."""
    if not re.fullmatch(r"[0-7]{3,4}", mode):
        raise UsageError(f"file mode {mode!r}: three or four octal digits, such as 0644")
    return mode.zfill(4)


def judged_exists(t: Target, path: str, kind: str = "") -> Judged:
    """`path` exists (as a `kind`: file, directory, link, socket, fifo, when given; a link is followed, except to
    say it is one)."""
    if kind and kind not in KINDS:
        raise UsageError(f"file kind {kind!r}: one of {', '.join(KINDS)}")
    st, how = _stat(t, path, follow=kind != "link")
    if st is None:
        return Judged(False, path, f"a {kind}" if kind else "exists", "does not exist", how)
    ok = not kind or st["type"] in KINDS[kind]
    return Judged(ok, path, f"a {kind}" if kind else "exists", st["type"], how, details=st)


def judged_absent(t: Target, path: str) -> Judged:
    st, how = _stat(t, path, follow=False)
    return Judged(st is None, path, "does not exist", st["type"] if st else "does not exist", how)


def judged_attribute(t: Target, path: str, field: str, want: str) -> Judged:
    """`path`'s mode (four octal digits), owner (a user, or "user:group") or group is `want`."""
    if field == "mode":
        want = octal_mode(want)
    st, how = _stat(t, path)
    if st is None:
        return Judged(False, path, {field: want}, "does not exist", how)
    if field == "owner" and ":" in want:
        found = f"{st['owner']}:{st['group']}"
    else:
        found = st[field]
    return Judged(found == want, path, {field: want}, {field: found}, how, details=st)


def _content(t: Target, path: str) -> tuple[str | None, str]:
    """The file's text (None: absent or not a regular file), refused above MAX_BYTES."""
    st, _ = _stat(t, path)
    if st is None or st["type"] not in KINDS["file"]:
        return None, f"{path}: {st['type'] if st else 'does not exist'}"
    if isinstance(st["size"], int) and st["size"] > MAX_BYTES:
        raise UsageError(f"{path} is {st['size']} bytes: a content claim reads files of {MAX_BYTES} bytes at most")
    res = t.run("head -c %s -- %s", str(MAX_BYTES), path, timeout=60)
    return (res.stdout if res.rc == 0 else None), res.command


def judged_contains(t: Target, path: str, text: str) -> Judged:
    content, how = _content(t, path)
    found = "does not exist or is not a file" if content is None else (
        "contains it" if text in content else f"does not contain it ({len(content)} characters read)")
    return Judged(content is not None and text in content, path, f"contains {text!r}", found, how)


def judged_matches(t: Target, path: str, pattern: str) -> Judged:
    """A line of the file matches the regular expression `pattern` (Python's re, multiline)."""
    try:
        rx = re.compile(pattern, re.MULTILINE)
    except re.error as exc:
        raise UsageError(f"regular expression {pattern!r}: {exc}") from None
    content, how = _content(t, path)
    m = rx.search(content) if content is not None else None
    found = m.group(0)[:200] if m else ("does not exist or is not a file" if content is None else "no match")
    return Judged(m is not None, path, f"matches /{pattern}/", found, how)


def judged_sha256(t: Target, path: str, digest: str) -> Judged:
    if not re.fullmatch(r"[0-9a-fA-F]{64}", digest):
        raise UsageError(f"sha256 {digest!r}: 64 hexadecimal digits")
    res = t.run("sha256sum -- %s", path, timeout=120)
    found = res.stdout.split()[0] if res.rc == 0 and res.stdout.split() else f"cannot be read (exit {res.rc})"
    return Judged(found == digest.lower(), path, {"sha256": digest.lower()}, {"sha256": found}, res.command)
