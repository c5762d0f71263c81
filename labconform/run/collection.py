"""Feature collection: .feature files as test modules, and what a collected claim says of itself
(its id, title, tags, its steps' texts)."""

from __future__ import annotations

import re
import types
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd.scenario import scenario_wrapper_template_registry

ID_TAG = re.compile(r"@id:(\S+)")
# what an @id tag is made of; nothing else may reach pytest's -m expression, even quoted
ID_FORM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class FeatureModule(pytest.Module):
    """A .feature file collected as a test module: pytest-bdd binds each Scenario to a test."""

    def _getobj(self) -> types.ModuleType:
        mod = types.ModuleType(f"features.{self.path.stem}")
        mod.__file__ = str(self.path)
        code = compile("from pytest_bdd import scenarios\nscenarios(_FEATURE)\n", str(self.path), "exec")
        mod.__dict__["_FEATURE"] = str(self.path)
        exec(code, mod.__dict__)  # noqa: S102 - the code is the two lines above
        return mod


def scenario_of(item: pytest.Item) -> Any:
    """The pytest-bdd scenario a collected item runs, or None for an item that is not a claim."""
    fn = getattr(item, "obj", None)
    try:
        return scenario_wrapper_template_registry.get(fn) if fn is not None else None
    except TypeError:
        return None


def scenario_title(item: pytest.Item, sc: Any) -> str:
    """The scenario's name, with a Scenario Outline's <placeholders> filled from its example row."""
    return filled(item, sc.name)


def filled(item: pytest.Item, text: str) -> str:
    """`text` with a Scenario Outline's <placeholders> filled from the item's example row."""
    example = getattr(getattr(item, "callspec", None), "params", {}).get("_pytest_bdd_example") or {}
    for key, value in example.items():
        text = text.replace(f"<{key}>", str(value))
    return text


def tags_of(sc: Any) -> list[str]:
    """The scenario's tags and its feature's, as written (without the @), sorted."""
    return sorted(sc.tags | sc.feature.tags)


def claim_id_of(item: pytest.Item, sc: Any) -> str:
    """The @id tag; "multi-02[mytc1]" for a row of a Scenario Outline's examples."""
    claim_id = next((t.split(":", 1)[1] for t in tags_of(sc) if t.startswith("id:")), item.nodeid)
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        claim_id = f"{claim_id}[{callspec.id}]"
    return claim_id


def tag_marker(tag: str, function: Any) -> Any:
    """`@key:value` tags become the marker `key` with `value=...` (`-m "impact(value='high')"`);
    plain tags (`@active`) are left to pytest-bdd (None). Marker names cannot hold a colon."""
    if ":" not in tag:
        return None
    key, value = tag.split(":", 1)
    return getattr(pytest.mark, key)(value=value)(function)


def id_places(paths: Iterable[str | Path], recursive: bool = False) -> list[tuple[str, Path, int]]:
    """Every @id written in these feature files, or in the .feature files of these folders (anywhere under them,
    `recursive`, as pytest collects them), with the file and line that hold it, in the files' order."""
    places = []
    for p in sorted(set(map(Path, paths))):
        files = sorted(p.rglob("*.feature") if recursive else p.glob("*.feature")) if p.is_dir() else [p]
        for f in files:
            for n, line in enumerate(f.read_text(errors="replace").splitlines(), 1):
                places += [(claim_id, f, n) for claim_id in ID_TAG.findall(line)]
    return places


def ids_in_features(dirs: Iterable[Path]) -> set[str]:
    """Every @id written in the feature files of these directories."""
    return {claim_id for claim_id, _, _ in id_places(dirs)}


def ids_under(paths: Iterable[str | Path]) -> set[str]:
    """Every @id written in these feature files, or anywhere under these folders (what pytest collects)."""
    return {claim_id for claim_id, _, _ in id_places(paths, recursive=True)}


def id_files(features: Path) -> dict[str, str]:
    """Each @id written in the feature files of this directory, and the file's name that holds it."""
    return {claim_id: f.name for claim_id, f, _ in id_places([features])}


def id_clashes(dirs: Iterable[Path]) -> list[str]:
    """Each @id written twice in the feature files of these directories (a lab's own claims beside the
    document's), named with both places: an id is unique and never reused."""
    seen: dict[str, str] = {}
    clashes = []
    for claim_id, f, n in id_places(dirs):
        if claim_id in seen:
            clashes.append(f"the claim id {claim_id} is at {seen[claim_id]} and at {f}:{n}")
        else:
            seen[claim_id] = f"{f}:{n}"
    return clashes


def alone_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """The claims tagged @alone (their measurement needs a host where no other JVM starts) before all others,
    each group in its own order: run first, they find the host quiet instead of waiting out the containers
    that later claims start side by side (jvms.await_quiet still checks that it is)."""
    return sorted(items, key=lambda i: i.get_closest_marker("alone") is None)


def step_texts(items: Iterable[pytest.Item]) -> list[tuple[str, list[str]]]:
    """Each claim's node id and its steps' texts (the Background's included), with a Scenario Outline's
    <placeholders> filled from its row: what the steps will be matched against when the claim runs."""
    claims = []
    for item in items:
        sc = scenario_of(item)
        if sc is not None:
            claims.append((item.nodeid, [filled(item, step.name) for step in sc.steps]))
    return claims
