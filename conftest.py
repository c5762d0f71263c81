"""Root conftest: `pytest features/` collects every .feature file through the labconform plugin,
with the step definitions of every module in steps/."""

from pathlib import Path

pytest_plugins = ["labconform.run.plugin"] + sorted(
    f"steps.{p.stem}" for p in (Path(__file__).parent / "steps").glob("*.py") if p.stem != "__init__"
)

