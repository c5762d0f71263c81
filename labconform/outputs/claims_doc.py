"""docs/claims.md made from the feature files: every claim, its section, impact and mode, counted from the
features themselves (a count written by hand goes stale)."""

from __future__ import annotations

from pathlib import Path

from pytest_bdd.parser import FeatureParser

REPO = Path(__file__).resolve().parents[2]
FEATURES = REPO / "features"
DOC = REPO / "docs" / "claims.md"


def _tag(tags: set[str], key: str, default: str = "") -> str:
    return next((t.split(":", 1)[1] for t in sorted(tags) if t.startswith(f"{key}:")), default)


def render(features: Path = FEATURES) -> str:
    rows, sections, verdicts = [], 0, 0
    for path in sorted(features.glob("*.feature")):
        feature = FeatureParser(str(features), path.name).parse()
        sections += 1
        for title, sc in feature.scenarios.items():
            tags = set(sc.tags)
            mode = "destructive" if "destructive" in tags else "active" if "active" in tags else "passive"
            cases = sum(len(e.examples) for e in sc.examples) if sc.templated else 1
            verdicts += cases
            rows.append(f"| `{_tag(tags, 'id')}` | {feature.name} | {title} | {cases} | "
                        f"{_tag(tags, 'impact', 'medium')} | {mode} |")
    head = ("# The claims\n\nMade by `python -m labconform.outputs.claims_doc` from `features/` "
            "(tests/unit/test_features.py "
            f"checks it is current): {len(rows)} claims in {sections} sections, {verdicts} verdicts in a run (an "
            "Outline's rows are a verdict each).\n\n| id | section | claim | verdicts | impact | mode |\n"
            "| --- | --- | --- | ---: | --- | --- |\n")
    return head + "\n".join(rows) + "\n"


if __name__ == "__main__":
    DOC.write_text(render())
    print(f"wrote {DOC}")
