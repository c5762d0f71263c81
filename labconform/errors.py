"""The few exceptions that decide a claim's verdict."""

from __future__ import annotations


class UsageError(Exception):
    """Bad input from the person running the suite (a malformed --target, a bad file)."""


class Conclusive(Exception):  # noqa: N818 - a marker, mixed into the errors below
    """An observation that no amount of waiting will change: it ends a bounded wait at once."""


class LabUnreachable(Conclusive):
    """The target could not be reached: the claim cannot be evaluated (verdict: error)."""


class ClaimFailed(AssertionError):
    """The lab was observed and does not match the claim (verdict: failed)."""


class WaitTimeout(Exception):
    """A bounded wait ran out; carries what was last observed."""

    def __init__(self, what: str, seconds: float, last: object) -> None:
        super().__init__(f"{what}: not reached within {seconds:g} s (last seen: {last!r})")
        self.what = what
        self.seconds = seconds
        self.last = last
