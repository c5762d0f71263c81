"""A --target value checked and made a testinfra host spec: `local`, or ssh://user@host:port and the other
schemes testinfra knows, refused with one clear line when it is empty, malformed, or would reach ssh as an
option."""

from __future__ import annotations

import urllib.parse

from labconform.errors import UsageError

HOST_SCHEMES = ("local", "ssh", "safe-ssh", "paramiko", "ansible")


def parse_target(spec: str) -> str:
    """Turn a --target value into a testinfra host spec, or raise UsageError with one clear line."""
    if spec is None:
        return "local://"
    shown = repr(spec[:200])
    if len(spec) > 2048 or any(ord(ch) < 32 or ord(ch) == 127 for ch in spec):
        raise UsageError(f"--target {shown}: control characters or over 2048 characters")
    spec = spec.strip()
    if not spec:  # an empty shell variable must not mean this machine
        raise UsageError("--target '': empty; say local for this machine")
    if spec in ("local", "local://"):
        return "local://"
    if "://" not in spec:
        raise UsageError(f"--target {shown}: expected 'local' or a host spec such as ssh://user@host:22")
    try:
        url = urllib.parse.urlsplit(spec)
        host = url.hostname
    except ValueError as exc:
        raise UsageError(f"--target {shown}: not a host spec ({exc})") from None
    if url.scheme not in HOST_SCHEMES:
        raise UsageError(f"--target {shown}: unknown scheme {url.scheme!r} (one of: {', '.join(HOST_SCHEMES)})")
    if url.scheme == "local" and (url.netloc or url.path not in ("", "/")):
        raise UsageError(f"--target {shown}: local:// names no host; say local")
    if url.scheme in ("ssh", "safe-ssh", "paramiko"):
        if not host:
            raise UsageError(f"--target {shown}: no host name after {url.scheme}://")
        # a host or user that starts with '-' would reach ssh as an option
        if host.startswith("-") or (url.username or "").startswith("-") or any(c in host for c in " \\'\"`$;|&<>"):
            raise UsageError(f"--target {shown}: the user and host may not start with '-' or hold shell characters")
        try:
            port = url.port
        except ValueError:
            raise UsageError(f"--target {spec!r}: the port is not a number from 1 to 65535") from None
        if port == 0:
            raise UsageError(f"--target {spec!r}: the port is not a number from 1 to 65535")
        if url.path not in ("", "/"):
            raise UsageError(f"--target {spec!r}: unexpected path {url.path!r}")
    return spec
