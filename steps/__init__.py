"""Step definitions: parse the Gherkin, ask the labconform library, record what it judged.

Most steps are one call of a judging function. Those are written as one row each, `judged(then, TEXT, judge)`
or `precondition(given, TEXT, judge)`, where `judge` is a lambda whose parameters are what a step function's
would be (the fixtures it needs, `lab` most often, and the arguments parsed from its text, by name): pytest-bdd
reads them from the step's signature. The rest are step functions."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from labconform.judged import Judged


def judged(kind: Callable[..., Any], text: Any, judge: Callable[..., Judged | Iterable[Judged]],
           depth: int = 0) -> None:
    """Define the step `text` with `kind` (pytest-bdd's given, when or then): it records the Judged that `judge`
    hands back, or each of several. `depth`: how many calls of the steps module lie between the row and this."""
    _define(kind, text, judge, _record, depth)


def precondition(kind: Callable[..., Any], text: Any, judge: Callable[..., Judged]) -> None:
    """Define the step `text` with `kind`: the claim is not applicable when `judge` says so, else it goes on."""
    _define(kind, text, judge, lambda evidence, j: evidence.applicable(j))


def _record(evidence: Any, result: Judged | Iterable[Judged]) -> None:
    for j in [result] if isinstance(result, Judged) else result:
        evidence.judged(j)


def _define(kind: Callable[..., Any], text: Any, judge: Callable[..., Any], record: Callable[..., None],
            depth: int = 0) -> None:
    def step(evidence: Any, **args: Any) -> None:
        record(evidence, judge(**args))

    params = inspect.signature(judge).parameters.values()
    step.__signature__ = inspect.Signature([inspect.Parameter("evidence", inspect.Parameter.POSITIONAL_OR_KEYWORD),
                                            *params])  # type: ignore[attr-defined]
    step.__doc__ = f"{text!r}: {judge.__code__.co_filename}:{judge.__code__.co_firstlineno}"
    # the step's fixture goes into the module that wrote the row (pytest-bdd looks three frames up from here)
    kind(text, stacklevel=3 + depth)(step)
