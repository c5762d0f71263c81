"""The pytest plugin: only pytest's hooks and fixtures; what they do lives in collection, runstate,
verdicts and summary."""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

from labconform.docker.containers import REAPER_GIVES_UP_S, RUN_LABEL
from labconform.errors import ClaimFailed, LabUnreachable, UsageError
from labconform.evidence import Evidence
from labconform.lab import Lab
from labconform.lease import WAIT_OPTION, LeaseHeld, LeaseKeeper
from labconform.outputs import allure
from labconform.params import load_params
from labconform.results import document, gate, waivers
from labconform.run import preparation, several_labs, terminal
from labconform.run.collection import (
    FeatureModule,
    alone_first,
    claim_id_of,
    id_clashes,
    ids_in_features,
    scenario_of,
    step_texts,
    tag_marker,
)
from labconform.run.preflight import ReportsUnwritable, check_reports_dir
from labconform.run.signals import RunSignals
from labconform.run.state import RunState, finish, finish_several, lab_run, load_gate_inputs
from labconform.run.verdicts import message_only, new_result, record, redact_report
from labconform.transport import reach
from labconform.transport.host_spec import parse_target
from labconform.transport.known_hosts import HostKeyError

RUN = pytest.StashKey["RunState"]()
SIGNALS = pytest.StashKey[RunSignals]()
SESSION = pytest.StashKey[pytest.Session]()
STEP_AT = pytest.StashKey[str]()


class AllureFirst:
    """`--alluredir` (allure-pytest-bdd's option) taken over before allure-pytest-bdd's own pytest_configure."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        allure.take_over(config)


class HoldSignals:
    """Every plugin's end of session (results, reports, clean-up) runs with SIGTERM and Ctrl-C held."""

    def __init__(self, signals: RunSignals) -> None:
        self.signals = signals

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> Generator[None, None, None]:
        session.config.stash[SESSION] = session
        self.signals.hold()
        return (yield)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.register(AllureFirst(), "labconform-allure")
    g = parser.getgroup("labconform")
    reach.add_pytest_options(g)  # --target (several), the SSH options, --lab-params, --kubeconfig
    g.addoption(
        "--lease-wait",
        **WAIT_OPTION,
        help="destructive claims take the lab's lease: wait this long when someone holds it (default 0)",
    )
    g.addoption("--reports-dir", default="reports", help="where reports/<run>/ is written")
    g.addoption("--run-name", default=None, help="name of this run (default: lc-<UTC time>-<random>)")
    g.addoption(
        "--destructive",
        action="store_true",
        help="also run @destructive claims (they change the lab, such as the document's clean-up); they run last",
    )
    # the report and the gate (docs/gate.md, docs/report.md)
    g.addoption(
        "--baseline",
        default=None,
        metavar="PATH",
        help="an earlier run (its folder or results.json): any regression against it fails the run",
    )
    g.addoption(
        "--waivers",
        default=None,
        metavar="FILE",
        help="YAML waivers (docs/waivers.md): a failed claim under an unexpired waiver is waived",
    )
    g.addoption(
        "--fail-on-impact",
        default="low",
        choices=gate.IMPACTS,
        help="fail the run on failed claims of this impact or above (default: low, i.e. any failure); "
        "regressions and errors fail it whatever their impact",
    )
    g.addoption(
        "--keep-runs",
        default=50,
        type=int,
        metavar="N",
        help="keep the newest N run folders under --reports-dir, remove older ones (default 50; 0 keeps all)",
    )


def pytest_configure(config: pytest.Config) -> None:
    try:
        for spec in several_labs.targets_of(config):
            parse_target(spec)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    several_labs.check_layout(config)
    name = config.getoption("run_name")
    if name is not None and not document.RUN_NAME.fullmatch(name):
        raise pytest.UsageError(f"--run-name {name!r}: letters, digits, '.', '_' and '-' only, starting with a "
                                "letter or digit, at most 63 (it names containers, files and folders)")
    # a missing or unreadable file, or a bad value: one usage error naming the file's line, before any claim
    try:  # (the lab's own load comes later)
        load_params(config.getoption("lab_params"))
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[RUN] = RunState(config)
    load_gate_inputs(config.stash[RUN])
    if not config.option.collectonly and not hasattr(config, "workerinput"):
        try:  # results that cannot be written are lost: say so before the first claim, not after the last
            check_reports_dir(config.stash[RUN].reports_dir)
        except ReportsUnwritable as exc:
            raise pytest.UsageError(str(exc)) from None
    # SIGTERM ends the run like Ctrl-C, so fixtures remove what the run created
    config.stash[SIGNALS] = RunSignals()
    config.stash[SIGNALS].take()
    config.pluginmanager.register(HoldSignals(config.stash[SIGNALS]), "labconform-hold-signals")


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is not None:
        if run.lease is not None:
            run.lease.release()
        run.target.close()  # the run's one SSH connection, after the results are written
    signals = config.stash.get(SIGNALS, None)
    session = config.stash.get(SESSION, None)
    if signals is not None and signals.release() and session is not None:
        session.exitstatus = pytest.ExitCode.INTERRUPTED


# --- collecting .feature files -----------------------------------------------------------------


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix == ".feature":
        return FeatureModule.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_apply_tag(tag: str, function: Any) -> Any:
    """`@key:value` tags become markers with a value; plain tags stay plain markers."""
    return tag_marker(tag, function)


def pytest_itemcollected(item: pytest.Item) -> None:
    """Make every tag, as written, a keyword: `-k "id:docker-03"` or `-k "impact:high"`."""
    sc = scenario_of(item)
    if sc is not None:
        item.extra_keyword_matches.update(sc.tags | sc.feature.tags)
        run = item.config.stash[RUN]
        run.known_ids.add(claim_id_of(item, sc))
        run.feature_dirs.add(Path(sc.feature.filename).parent)


def pytest_collection_finish(session: pytest.Session) -> None:
    """A waiver must name a claim of the suite: every @id in the feature files of the collected
    directories counts, so a run of one feature file still accepts the lab's whole waiver file."""
    run = session.config.stash.get(RUN, None)
    if run is None:
        return
    document = Path(session.config.rootpath) / "features"  # a lab's own ids may not take the document's
    clashes = id_clashes(run.feature_dirs | ({document} if run.feature_dirs and document.is_dir() else set()))
    if clashes:
        raise pytest.UsageError("; ".join(clashes[:5]) + ": an id names one claim, and is never reused")
    if session.items and not session.config.option.collectonly:
        try:
            run.target.connect()  # an SSH target's one connection, opened before any claim
        except HostKeyError as exc:
            raise pytest.UsageError(str(exc)) from None
        except LabUnreachable:
            pass  # every claim says so, through the lab fixture
    if not run.waivers:
        return
    try:
        waivers.check_known(run.waivers, run.known_ids | ids_in_features(run.feature_dirs))
    except waivers.WaiverError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order the selected claims, and note what they need prepared ahead (labconform.run.preparation)."""
    run = config.stash[RUN]
    run.ahead = preparation.Plan.of(step_texts(items))
    items[:] = alone_first(items)
    # destructive claims change the lab: only when asked, and after every other claim
    destructive = [i for i in items if i.get_closest_marker("destructive")]
    if destructive:
        if config.getoption("destructive"):
            items[:] = [i for i in items if not i.get_closest_marker("destructive")] + destructive
        else:
            skip = pytest.mark.skip(reason="destructive claim: changes the lab, runs only with --destructive")
            for i in destructive:
                i.add_marker(skip)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A claim is on record from its setup on (interrupted there, it is still an error in results.json); a
    destructive claim changes the lab: the run takes the lab's lease first, once, and keeps it."""
    sc = scenario_of(item)
    if sc is not None and item.nodeid not in item.config.stash[RUN].results:
        item.config.stash[RUN].results[item.nodeid] = new_result(item.config.stash[RUN], item, sc)
    if not item.get_closest_marker("destructive") or not item.config.getoption("destructive"):
        return  # without --destructive the claim is skipped: no lease for it
    run = item.config.stash[RUN]
    if run.lease is not None and run.lease.lost:
        raise LabUnreachable(f"{run.lease.lost}: this run changes the lab no further")
    if run.lease is None or run.lease.held is None:
        run.target.check_alive()
        keeper = LeaseKeeper(run.target, run.name, "destructive claims")
        try:
            keeper.acquire(wait_s=item.config.getoption("lease_wait"))
        except LeaseHeld as exc:
            raise LabUnreachable(str(exc)) from None
        run.lease = keeper


# --- fixtures the steps use ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def lab(request: pytest.FixtureRequest) -> Any:
    """The lab under test, reached once per run. Unreachable: every claim is an error with the reason."""
    run = request.config.stash[RUN]
    target = run.target
    target.probe()  # raises LabUnreachable; pytest re-raises it for every later claim at once
    run.lab = Lab(target, run.name, run.params_file, request.config.getoption("kubeconfig"))
    run.lab.docker.start_reaper()  # before anything is made on the lab: whatever ends the run, it is removed
    try:
        yield run.lab
    finally:
        removed = run.lab.docker.cleanup()
        run.cleanup = {"removed": removed, "engine_error": run.lab.docker.unreachable_at_cleanup}
        if removed:
            sys.stderr.write(f"\nlabconform: removed {len(removed)} container(s) of run {run.name}\n")
        if run.lab.docker.unreachable_at_cleanup:
            run.cleanup["note"] = (
                f"the Docker engine did not answer at the end of the run; the lab host removes the "
                f"containers labelled {RUN_LABEL}={run.name} once it answers again (trying for "
                f"{REAPER_GIVES_UP_S // 60} min)")


@pytest.fixture(autouse=True)
def _ahead(request: pytest.FixtureRequest) -> None:
    """Before a claim: the preparations it needs, and the run's first ones, set up once (labconform.run.preparation)."""
    for fixture in request.config.stash[RUN].ahead.due(request.node.nodeid):
        request.getfixturevalue(fixture)


@pytest.fixture(scope="session")
def ahead_steps(request: pytest.FixtureRequest) -> Callable[[str], list[dict[str, Any]]]:
    """The arguments of the selected claims' steps that need a preparation, by its fixture's name."""
    plan = request.config.stash[RUN].ahead
    return lambda fixture: list(plan.arguments.get(fixture, []))


@pytest.fixture
def step_at(request: pytest.FixtureRequest) -> Callable[[], str]:
    """Where the step running now is written ("features/84_k8s_init.feature:12"), for a step's message about how
    it is written (a doc-string that is not YAML): called, as one claim runs several steps."""
    return lambda: request.node.stash.get(STEP_AT, "")


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    run = request.config.stash[RUN]
    ev = Evidence(run.target.name)
    run.evidence[request.node.nodeid] = ev
    return ev


# --- verdicts -----------------------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    original = call.excinfo.value if call.excinfo is not None else None
    if isinstance(original, (LabUnreachable, ClaimFailed)):
        call.excinfo = message_only(original)
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    redact_report(report)
    sc = scenario_of(item)
    if sc is not None:
        record(item.config.stash[RUN], item, sc, report, original)


def pytest_bdd_before_step(
    request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, step_func: Any
) -> None:
    run = request.config.stash[RUN]
    started, done = run.steps_done.get(request.node.nodeid, (0, 0))
    run.steps_done[request.node.nodeid] = (started + 1, done)
    request.node.stash[STEP_AT] = f"{shown_path(request.config, feature.filename)}:{step.line_number}"


def shown_path(config: pytest.Config, filename: str) -> str:
    """A feature file as a message names it: relative to where pytest was started, when it lies below."""
    path = Path(filename)
    return str(path.relative_to(config.invocation_params.dir)) if path.is_relative_to(
        config.invocation_params.dir) else str(path)


def pytest_bdd_after_step(
    request: pytest.FixtureRequest,
    feature: Any,
    scenario: Any,
    step: Any,
    step_func: Any,
    step_func_args: dict[str, Any],
) -> None:
    run = request.config.stash[RUN]
    started, done = run.steps_done.get(request.node.nodeid, (0, 0))
    run.steps_done[request.node.nodeid] = (started, done + 1)


@pytest.hookimpl(tryfirst=True)
def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    """A waived claim shows as `w` / WAIVED in pytest's progress and counts, not as an xfail."""
    if getattr(report, "_lc_waived", False):
        return "waived", "w", "WAIVED"
    return None


# --- the end of the run -------------------------------------------------------------------------


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker's run is named after this one."""
    node.workerinput["lc_run"] = node.config.stash[RUN].name


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    out = getattr(node, "workeroutput", {}).get("lc_results")
    if out is not None:
        node.config.stash[RUN].worker_outputs.append(out)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    run = config.stash.get(RUN, None)
    if run is not None and run.worker_outputs:
        session.exitstatus = finish_several(run, exitstatus)
        return
    if run is None or not run.results:
        return
    other_failures = max(session.testsfailed - run.claim_failures, 0)
    session.exitstatus = finish(run, exitstatus, other_failures, config.getoption("keep_runs"))
    if several_labs.several(config) and hasattr(config, "workeroutput"):
        config.workeroutput["lc_results"] = lab_run(run, several_labs.worker_index(config))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is not None and run.worker_outputs and run.folder is not None:
        terminal.write_several(terminalreporter, run)
    elif run is not None and run.results:
        terminal.write_one(terminalreporter, run)
