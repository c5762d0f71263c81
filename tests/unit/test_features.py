"""The feature files themselves: every claim has a stable id and an impact, every tag is a registered marker."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pytest_bdd.parser import FeatureParser

REPO = Path(__file__).resolve().parents[2]
FEATURES = sorted((REPO / "features").glob("*.feature"))


def parsed():
    for path in FEATURES:
        yield path, FeatureParser(str(path.parent), path.name).parse()


def registered_markers() -> set[str]:
    cfg = tomllib.loads((REPO / "pyproject.toml").read_text())
    return {re.split(r"[:(]", line, maxsplit=1)[0].strip() for line in cfg["tool"]["pytest"]["ini_options"]["markers"]}


def test_there_are_features():
    assert len(FEATURES) >= 8


def test_every_scenario_has_one_id_and_one_impact():
    for path, feature in parsed():
        for sc in feature.scenarios.values():
            ids = [t for t in sc.tags if t.startswith("id:")]
            impacts = [t for t in sc.tags if t.startswith("impact:")]
            assert len(ids) == 1, f"{path.name}: {sc.name!r} has ids {ids}"
            assert len(impacts) == 1 and impacts[0] in ("impact:high", "impact:medium", "impact:low"), (
                f"{path.name}: {sc.name!r} has impacts {impacts}"
            )


def test_claim_ids_are_unique():
    seen: dict[str, str] = {}
    for path, feature in parsed():
        for sc in feature.scenarios.values():
            cid = next(t for t in sc.tags if t.startswith("id:"))
            assert cid not in seen, f"{cid} in {path.name} and {seen[cid]}"
            seen[cid] = path.name


def test_every_feature_names_its_document_section():
    for path, feature in parsed():
        sections = [t for t in feature.tags if t.startswith("section:")]
        assert len(sections) == 1, f"{path.name}: section tags {sections}"


def test_every_tag_is_a_registered_marker():
    markers = registered_markers()
    for path, feature in parsed():
        for sc in feature.scenarios.values():
            for tag in sc.tags | feature.tags:
                assert tag.split(":", 1)[0] in markers, f"{path.name}: tag @{tag} is not registered in pyproject.toml"


def test_every_scenario_says_why():
    for path, feature in parsed():
        for sc in feature.scenarios.values():
            assert sc.description.strip(), f"{path.name}: {sc.name!r} has no one-line rationale"


def test_the_claims_page_is_made_from_the_features_and_current():
    """docs/claims.md lists every claim and counts them from the features: a feature changed without
    `python -m labconform.outputs.claims_doc` fails here."""
    from labconform.outputs import claims_doc

    assert claims_doc.DOC.read_text() == claims_doc.render(), "run: python -m labconform.outputs.claims_doc"


def test_the_claims_timed_alone_run_first_each_group_in_its_order():
    from labconform.run.collection import alone_first

    class Item:
        def __init__(self, name: str, alone: bool) -> None:
            self.name, self.alone = name, alone

        def get_closest_marker(self, name: str):
            return object() if name == "alone" and self.alone else None

    items = [Item("hello-01", False), Item("rand-01", True), Item("mytc-04", False), Item("rand-02", True)]
    assert [i.name for i in alone_first(items)] == ["rand-01", "rand-02", "hello-01", "mytc-04"]
    tagged = {m for f in FEATURES for m in re.findall(r"@id:(\S+)[^\n]*@alone", f.read_text())}
    assert tagged == {"rand-01", "rand-02", "rand-04"}, "the startup timings, and only they, are timed alone"
