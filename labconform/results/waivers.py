"""Waivers: a lab's known, accepted deviations (docs/waivers.md), read with the line of every entry."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from labconform import input_files
from labconform.errors import UsageError

FIELDS = ("id", "justification", "approver", "expires")


class WaiverError(UsageError):
    """A waiver file that cannot be trusted: the message names the file and the line."""


@dataclass(frozen=True)
class Waiver:
    id: str
    justification: str
    approver: str
    expires: dt.date
    source: str
    line: int

    def expired(self, today: dt.date) -> bool:
        """From the expiry day on, a waiver no longer waives."""
        return today >= self.expires

    def covers(self, claim_id: str) -> bool:
        """A waiver for an Outline's id covers each of its rows (multi-02 covers multi-02[mytc1])."""
        return claim_id == self.id or claim_id.startswith(self.id + "[")

    def as_dict(self, today: dt.date) -> dict[str, Any]:
        return {
            "id": self.id,
            "justification": self.justification,
            "approver": self.approver,
            "expires": self.expires.isoformat(),
            "expired": self.expired(today),
            "source": f"{self.source}:{self.line}",
        }


def _fail(source: str, line: int, message: str) -> WaiverError:
    return WaiverError(f"--waivers {source}:{line}: {message}")


def _scalar(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def parse(text: str, source: str = "<waivers>") -> list[Waiver]:
    """Every waiver of a file, or WaiverError naming the line of the first problem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise _fail(source, line, f"not valid YAML: {problem}") from None
    if root is None:
        return []
    if input_files.expanded_nodes(root) > input_files.MAX_YAML_NODES:
        raise _fail(source, 1, f"its aliases expand past {input_files.MAX_YAML_NODES} nodes: refused")
    if not isinstance(root, yaml.SequenceNode):
        raise _fail(source, root.start_mark.line + 1, "expected a list of waivers (- id: ..., justification: ..., "
                    "approver: ..., expires: YYYY-MM-DD)")
    waivers: list[Waiver] = []
    seen: dict[str, int] = {}
    for item in root.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            raise _fail(source, line, "a waiver is a mapping with the fields " + ", ".join(FIELDS))
        fields: dict[str, tuple[str, int]] = {}
        for key_node, value_node in item.value:
            key = _scalar(key_node)
            kline = key_node.start_mark.line + 1
            if key not in FIELDS:
                raise _fail(source, kline, f"unknown field {key!r} (the fields are {', '.join(FIELDS)})")
            value = _scalar(value_node)
            if value is None or not value.strip():
                raise _fail(source, kline, f"field {key!r} needs a non-empty text value")
            fields[key] = (value.strip(), kline)
        missing = [f for f in FIELDS if f not in fields]
        label = f"waiver {fields['id'][0]!r}" if "id" in fields else "waiver"
        if missing:
            raise _fail(source, line, f"{label}: missing field(s) {', '.join(missing)}")
        wid, id_line = fields["id"]
        if not re.fullmatch(r"[A-Za-z0-9_.:-]+(\[[^\]]+\])?", wid):
            raise _fail(source, id_line, f"{wid!r} is not a claim id (the @id tag of a Scenario, e.g. docker-03)")
        if wid in seen:
            raise _fail(source, id_line, f"{label}: claim {wid!r} is already waived on line {seen[wid]}")
        seen[wid] = id_line
        text, exp_line = fields["expires"]
        try:
            expires = dt.date.fromisoformat(text)
        except ValueError:
            raise _fail(source, exp_line, f"{label}: expires {text!r} is not a date YYYY-MM-DD") from None
        waivers.append(Waiver(wid, fields["justification"][0], fields["approver"][0], expires, source, line))
    return waivers


def load(path: str | Path) -> list[Waiver]:
    try:
        text = input_files.read_text(path, "--waivers")
    except UsageError as exc:
        raise WaiverError(str(exc)) from None
    return parse(text, str(path))


def check_known(waivers: Iterable[Waiver], known_ids: set[str]) -> None:
    """A waiver must name a claim the suite has: a typo would otherwise waive nothing, silently."""
    for w in waivers:
        base = w.id.split("[", 1)[0]
        if w.id not in known_ids and base not in known_ids:
            raise _fail(w.source, w.line, f"waiver for unknown claim id {w.id!r}: no Scenario is tagged @id:{base}")


def find(waivers: Iterable[Waiver], claim_id: str) -> Waiver | None:
    """The waiver for a claim: one naming the exact row of an Outline wins over one naming the Outline."""
    matching = [w for w in waivers if w.covers(claim_id)]
    matching.sort(key=lambda w: w.id != claim_id)
    return matching[0] if matching else None


def today() -> dt.date:
    """The date expiry is judged on: the lab's local calendar day."""
    return dt.date.today()
