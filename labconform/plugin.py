"""The pytest plugin: collects .feature files, connects to the target, turns outcomes into verdicts."""

from __future__ import annotations

import re
import signal
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd.scenario import scenario_wrapper_template_registry

from labconform import __version__
from labconform.errors import ClaimFailed, LabUnreachable, UsageError
from labconform.evidence import Evidence
from labconform.lab import IMAGE_KINDS, Lab, WorkloadSpec
from labconform.results import ClaimResult, counts, new_run_name, write_run
from labconform.target import Target, parse_target

RUN = pytest.StashKey["RunState"]()
WORKLOAD_STEP = re.compile(
    r'container "(?P<role>[^"]+)" runs the (?P<kind>' + "|".join(IMAGE_KINDS) + r") image(?P<rm> with auto-removal)?"
)


class RunState:
    """Everything one run shares: its name, its target, the claims' results."""

    def __init__(self, config: pytest.Config) -> None:
        self.name = config.getoption("run_name") or new_run_name()
        self.target = Target(config.getoption("target"))
        self.reports_dir = Path(config.getoption("reports_dir"))
        self.params_file = config.getoption("lab_params")
        self.started = time.time()
        self.results: dict[str, ClaimResult] = {}
        self.evidence: dict[str, Evidence] = {}
        self.prestart: tuple[WorkloadSpec, ...] = ()
        self.lab: Lab | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("labconform")
    g.addoption("--target", default="local", help="the lab: local (default) or ssh://user@host:port")
    g.addoption("--lab-params", default=None, help="YAML file of lab parameters (image names, limits)")
    g.addoption("--reports-dir", default="reports", help="where reports/<run>/ is written")
    g.addoption("--run-name", default=None, help="name of this run (default: lc-<UTC time>-<random>)")
    g.addoption("--destructive", action="store_true",
                help="also run @destructive claims (they change the lab, such as the document's clean-up); they run last")


def pytest_configure(config: pytest.Config) -> None:
    try:
        parse_target(config.getoption("target"))
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    if config.getoption("lab_params") and not Path(config.getoption("lab_params")).is_file():
        raise pytest.UsageError(f"--lab-params {config.getoption('lab_params')}: no such file")
    config.stash[RUN] = RunState(config)
    # SIGTERM ends the run like Ctrl-C, so fixtures remove what the run created
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


# --- collecting .feature files -----------------------------------------------------------------


class FeatureModule(pytest.Module):
    """A .feature file collected as a test module: pytest-bdd binds each Scenario to a test."""

    def _getobj(self) -> types.ModuleType:
        mod = types.ModuleType(f"features.{self.path.stem}")
        mod.__file__ = str(self.path)
        code = compile("from pytest_bdd import scenarios\nscenarios(_FEATURE)\n", str(self.path), "exec")
        mod.__dict__["_FEATURE"] = str(self.path)
        exec(code, mod.__dict__)  # noqa: S102 - the code is the two lines above
        return mod


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix == ".feature":
        return FeatureModule.from_parent(parent, path=file_path)
    return None


def scenario_of(item: pytest.Item) -> Any:
    fn = getattr(item, "obj", None)
    try:
        return scenario_wrapper_template_registry.get(fn) if fn is not None else None
    except TypeError:
        return None


def pytest_bdd_apply_tag(tag: str, function: Any) -> Any:
    """`@key:value` tags become the marker `key` with `value=...` (`-m "impact(value='high')"`);
    plain tags (`@active`) stay plain markers. Marker names cannot hold a colon."""
    if ":" not in tag:
        return None
    key, value = tag.split(":", 1)
    return getattr(pytest.mark, key)(value=value)(function)


def pytest_itemcollected(item: pytest.Item) -> None:
    """Make every tag, as written, a keyword: `-k "id:docker-03"` or `-k "impact:high"`."""
    sc = scenario_of(item)
    if sc is not None:
        item.extra_keyword_matches.update(sc.tags | sc.feature.tags)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Note the containers the selected claims will start, so they can be started together."""
    specs: dict[str, WorkloadSpec] = {}
    for item in items:
        sc = scenario_of(item)
        for step in sc.steps if sc else ():
            m = WORKLOAD_STEP.search(step.name)
            if m and "<" not in m["role"]:  # an Outline's template; its examples name real roles
                specs.setdefault(m["role"], WorkloadSpec(m["role"], m["kind"], bool(m["rm"])))
    config.stash[RUN].prestart = tuple(specs.values())
    # destructive claims change the lab: only when asked, and after every other claim
    destructive = [i for i in items if i.get_closest_marker("destructive")]
    if destructive:
        if config.getoption("destructive"):
            items[:] = [i for i in items if not i.get_closest_marker("destructive")] + destructive
        else:
            skip = pytest.mark.skip(reason="destructive claim: changes the lab, runs only with --destructive")
            for i in destructive:
                i.add_marker(skip)


# --- fixtures the steps use ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def lab(request: pytest.FixtureRequest) -> Any:
    """The lab under test, reached once per run. Unreachable: every claim is an error with the reason."""
    run = request.config.stash[RUN]
    target = run.target
    target.probe()  # raises LabUnreachable; pytest re-raises it for every later claim at once
    run.lab = Lab(target, run.name, run.params_file, run.prestart)
    try:
        yield run.lab
    finally:
        removed = run.lab.docker.cleanup() if "docker" in run.lab.__dict__ else []
        if removed:
            sys.stderr.write(f"\nlabconform: removed {len(removed)} container(s) of run {run.name}\n")


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    run = request.config.stash[RUN]
    ev = Evidence(run.target.name)
    run.evidence[request.node.nodeid] = ev
    return ev


# --- verdicts -----------------------------------------------------------------------------------


def _reason(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    exc = getattr(report, "_lc_exc", None)
    if exc is not None:
        return f"{type(exc).__name__}: {exc}" if not isinstance(exc, ClaimFailed) else str(exc)
    return report.longreprtext.strip().splitlines()[-1] if report.longreprtext else ""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    sc = scenario_of(item)
    if sc is None:
        return
    run = item.config.stash[RUN]
    res = run.results.get(item.nodeid)
    if res is None:
        tags = sorted(sc.tags | sc.feature.tags)
        claim_id = next((t.split(":", 1)[1] for t in tags if t.startswith("id:")), item.nodeid)
        callspec = getattr(item, "callspec", None)
        if callspec is not None:  # one claim per row of a Scenario Outline's examples
            claim_id = f"{claim_id}[{callspec.id}]"
        res = ClaimResult(claim_id, item.nodeid, sc.feature.name, Path(sc.feature.filename).name,
                          sc.name, tags, run.target.name)
        run.results[item.nodeid] = res
    if call.excinfo is not None:
        report._lc_exc = call.excinfo.value  # type: ignore[attr-defined]
    res.duration_s += report.duration
    ev = run.evidence.get(item.nodeid)
    if ev is not None:
        res.evidence = ev.as_list()
    verdict = _verdict(report, call)
    if verdict is not None:
        # the worst phase decides: an error in teardown does not hide behind a passed call
        if ORDER[verdict] >= ORDER.get(res.verdict, -1):
            res.verdict = verdict
            res.reason = "" if verdict == "passed" else _reason(report)
    if report.when == "call" and res.verdict == "passed" and not res.evidence:
        res.verdict, res.reason = "error", "the claim passed without recording any evidence"
        report.outcome = "failed"
        report.longrepr = f"[{run.target.name}] {res.id}: passed without recording any evidence"


ORDER = {"passed": 0, "not_applicable": 1, "failed": 2, "waived": 2, "error": 3}


def _verdict(report: pytest.TestReport, call: pytest.CallInfo[None]) -> str | None:
    if report.skipped:
        return "not_applicable"
    if report.failed:
        exc = call.excinfo.value if call.excinfo else None
        if report.when == "call" and isinstance(exc, AssertionError) and not isinstance(exc, LabUnreachable):
            return "failed"
        return "error"
    if report.when == "call":
        return "passed"
    return None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN, None)
    if run is None or not run.results:
        return
    claims = list(run.results.values())
    for c in claims:
        if not c.verdict:
            c.verdict, c.reason = "error", "the run was interrupted before this claim finished"
    target = run.target
    facts = None
    if run.lab is not None and "facts" in target.__dict__:
        facts = target.facts.as_dict()
    docker_version = None
    if run.lab is not None and "docker" in run.lab.__dict__:
        try:
            docker_version = run.lab.docker.ping().get("Version")
        except Exception:  # noqa: BLE001 - the engine may be the thing that is down
            docker_version = None
    meta = {
        "name": run.name,
        "labconform_version": __version__,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(run.started)),
        "duration_s": round(time.time() - run.started, 2),
        "command": sys.argv,
        "exit_status": int(exitstatus),
        "target": {"spec": target.spec, "name": target.name, "unreachable": target.unreachable,
                   "facts": facts, "docker_version": docker_version},
        "params": run.lab.params.as_dict() if run.lab is not None and "params" in run.lab.__dict__ else None,
    }
    run.folder = write_run(run.reports_dir, meta, claims)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is None or not run.results:
        return
    c = counts(list(run.results.values()))
    tr = terminalreporter
    tr.section("labconform")
    tr.write_line(f"target {run.target.spec}  run {run.name}")
    tr.write_line("  ".join(f"{n} {v.replace('_', ' ')}" for v, n in c.items()))
    for res in run.results.values():
        if res.verdict in ("failed", "error"):
            tr.write_line(f"  {res.verdict.upper():6} {res.id}: {res.reason[:300]}")
    folder = getattr(run, "folder", None)
    if folder is not None:
        tr.write_line(f"results: {folder / 'results.json'}")
