"""Root conftest: `pytest features/` collects every .feature file through the labconform plugin,
with the step definitions of every module in steps/."""

from pathlib import Path

import pytest

from labconform.errors import UsageError
from labconform.params import load_params

pytest_plugins = ["labconform.plugin"] + sorted(
    f"steps.{p.stem}" for p in (Path(__file__).parent / "steps").glob("*.py") if p.stem != "__init__"
)


def pytest_configure(config: pytest.Config) -> None:
    """A bad --lab-params value is a usage error (exit status 4) before any claim runs, naming the file's line
    and the parameter, not an error in each claim that reads it (the lab's own parameters load later, with
    its family's defaults)."""
    try:
        load_params(config.getoption("lab_params"))
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
