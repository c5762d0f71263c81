"""What a judging function of the library hands a step: whether the thing holds, what was looked at,
expected, found and how, the details a reviewer may want, and why it cannot be judged on this lab when it
cannot. A step records it with `evidence.check` (or `evidence.not_applicable`) and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Judged:
    """One observation as a step records it: whether it holds, what was looked at, expected, found, how, and
    why the claim cannot be judged here when it cannot."""

    ok: bool
    what: str
    expected: Any
    found: Any
    how: str
    not_applicable: str = ""
    details: dict[str, Any] = field(default_factory=dict)
