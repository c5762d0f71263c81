"""The pytest plugin: collects .feature files, connects to the target, turns outcomes into verdicts."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from labconform import __version__, exports, gate, multi, report, results, waivers
from labconform.collection import (
    FeatureModule,
    claim_id_of,
    ids_in_features,
    scenario_of,
    scenario_title,
    tag_marker,
    tags_of,
    workload_specs,
)
from labconform.docker_lab import REAPER_GIVES_UP_S, RUN_LABEL
from labconform.errors import ClaimFailed, LabUnreachable, UsageError
from labconform.evidence import Evidence
from labconform.lab import Lab, WorkloadSpec
from labconform.lease import LeaseHeld, LeaseKeeper
from labconform.preflight import ReportsUnwritable, check_reports_dir
from labconform.redact import redact_text
from labconform.results import ClaimResult, counts, new_run_name, write_run
from labconform.ssh import HostKeyError, SshOptions
from labconform.target import Target, parse_target

RUN = pytest.StashKey["RunState"]()


class RunState:
    """Everything one run shares: its name, its target, the claims' results."""

    def __init__(self, config: pytest.Config) -> None:
        self.name = multi.run_name(config, config.getoption("run_name") or new_run_name())
        self.target = Target(multi.target_spec(config), ssh=ssh_options(config))
        self.reports_dir = Path(config.getoption("reports_dir"))
        self.params_file = config.getoption("lab_params")
        self.started = time.time()
        self.results: dict[str, ClaimResult] = {}
        self.evidence: dict[str, Evidence] = {}
        self.prestart: tuple[WorkloadSpec, ...] = ()
        self.lab: Lab | None = None
        # the gate (docs/gate.md): read and checked in pytest_configure, before anything runs
        self.baseline: dict[str, Any] | None = None
        self.baseline_path: str | None = config.getoption("baseline")
        self.waivers_file: str | None = config.getoption("waivers")
        self.waivers: list[waivers.Waiver] = []
        self.today = waivers.today()
        self.fail_on_impact: str = config.getoption("fail_on_impact")
        self.known_ids: set[str] = set()
        self.feature_dirs: set[Path] = set()
        self.steps_done: dict[str, tuple[int, int]] = {}  # nodeid -> (steps started, steps finished)
        self.claim_failures = 0  # failed test reports that are claims (the rest are other tests)
        self.decision: gate.Decision | None = None
        self.diff: dict[str, Any] | None = None
        self.pruned: list[str] = []
        self.lease: LeaseKeeper | None = None  # taken before the first destructive claim
        self.worker_outputs: list[dict[str, Any]] = []  # several --target: each worker's lab's run
        self.cleanup: dict[str, Any] | None = None  # the run's containers removed at its end, or why not
        self.combined: list[ClaimResult] = []  # several --target: every lab's claims, ids naming their lab


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("labconform")
    g.addoption(
        "--target",
        action="append",
        default=None,
        help="the lab: local (default) or ssh://user@host:port; several: each checked by its own "
        "pytest-xdist worker (-n N --dist each)",
    )
    g.addoption(
        "--accept-host-key",
        action="store_true",
        help="ssh:// targets: accept an unknown or changed host key and record it (default: refuse, one error)",
    )
    g.addoption("--known-hosts", default=None, metavar="FILE", help="ssh:// targets: known_hosts file")
    g.addoption("--ssh-identity", default=None, metavar="FILE", help="ssh:// targets: private key to log in with")
    g.addoption(
        "--lease-wait",
        type=float,
        default=0,
        metavar="SECONDS",
        help="destructive claims take the lab's lease: wait this long when someone holds it (default 0)",
    )
    g.addoption("--lab-params", default=None, help="YAML file of lab parameters (image names, limits)")
    g.addoption("--reports-dir", default="reports", help="where reports/<run>/ is written")
    g.addoption("--run-name", default=None, help="name of this run (default: lc-<UTC time>-<random>)")
    g.addoption(
        "--destructive",
        action="store_true",
        help="also run @destructive claims (they change the lab, such as the document's clean-up); they run last",
    )
    g.addoption(
        "--kubeconfig",
        default=None,
        help="kubeconfig for the cluster's API (default: the target's /etc/kubernetes/admin.conf)",
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
        for spec in multi.targets_of(config):
            parse_target(spec)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    multi.check_layout(config)
    name = config.getoption("run_name")
    if name is not None and not results.RUN_NAME.fullmatch(name):
        raise pytest.UsageError(f"--run-name {name!r}: letters, digits, '.', '_' and '-' only, starting with a "
                                "letter or digit, at most 63 (it names containers, files and folders)")
    if config.getoption("lab_params") and not Path(config.getoption("lab_params")).is_file():
        raise pytest.UsageError(f"--lab-params {config.getoption('lab_params')}: no such file")
    config.stash[RUN] = RunState(config)
    _load_gate_inputs(config.stash[RUN])
    if not config.option.collectonly and not hasattr(config, "workerinput"):
        try:  # results that cannot be written are lost: say so before the first claim, not after the last
            check_reports_dir(config.stash[RUN].reports_dir)
        except ReportsUnwritable as exc:
            raise pytest.UsageError(str(exc)) from None
    # SIGTERM ends the run like Ctrl-C, so fixtures remove what the run created
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _interrupt)


def ssh_options(config: pytest.Config) -> SshOptions:
    return SshOptions(
        identity=config.getoption("ssh_identity"),
        known_hosts=config.getoption("known_hosts"),
        accept_host_key=config.getoption("accept_host_key"),
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is not None:
        if run.lease is not None:
            run.lease.release()
        run.target.close()  # the run's one SSH connection, after the results are written


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _load_gate_inputs(run: RunState) -> None:
    """Read --baseline and --waivers now: a bad file is a usage error (exit 4) before anything runs."""
    if run.baseline_path:
        try:
            run.baseline = results.load(run.baseline_path)
        except FileNotFoundError:
            raise pytest.UsageError(f"--baseline {run.baseline_path}: no results.json there") from None
        except (OSError, ValueError) as exc:
            raise pytest.UsageError(f"--baseline {run.baseline_path}: {exc}") from None
    if run.waivers_file:
        try:
            run.waivers = waivers.load(run.waivers_file)
        except waivers.WaiverError as exc:
            raise pytest.UsageError(str(exc)) from None


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
    """Note the containers the selected claims will start, so they can be started together."""
    config.stash[RUN].prestart = workload_specs(items)
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
    """A destructive claim changes the lab: the run takes the lab's lease first, once, and keeps it."""
    if not item.get_closest_marker("destructive") or not item.config.getoption("destructive"):
        return  # without --destructive the claim is skipped: no lease for it
    run = item.config.stash[RUN]
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
    run.lab = Lab(target, run.name, run.params_file, run.prestart, request.config.getoption("kubeconfig"))
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


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    run = request.config.stash[RUN]
    ev = Evidence(run.target.name)
    run.evidence[request.node.nodeid] = ev
    return ev


# --- verdicts -----------------------------------------------------------------------------------


def _reason(report: pytest.TestReport, exc: BaseException | None = None) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    if exc is not None:
        return f"{type(exc).__name__}: {exc}" if not isinstance(exc, ClaimFailed) else str(exc)
    return report.longreprtext.strip().splitlines()[-1] if report.longreprtext else ""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    original = call.excinfo.value if call.excinfo is not None else None
    if isinstance(original, (LabUnreachable, ClaimFailed)):
        call.excinfo = _message_only(original)
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    _redact_report(report)
    sc = scenario_of(item)
    if sc is None:
        return
    run = item.config.stash[RUN]
    res = run.results.get(item.nodeid)
    if res is None:
        tags = tags_of(sc)
        claim_id = claim_id_of(item, sc)
        res = ClaimResult(
            claim_id,
            item.nodeid,
            sc.feature.name,
            Path(sc.feature.filename).name,
            scenario_title(item, sc),
            tags,
            run.target.name,
            line=sc.line_number,
            rationale=" ".join((sc.description or "").split()),
        )
        run.results[item.nodeid] = res
        w = waivers.find(run.waivers, claim_id)
        if w is not None:
            res.waiver = w.as_dict(run.today)
    res.duration_s += report.duration
    ev = run.evidence.get(item.nodeid)
    if ev is not None:
        res.evidence = ev.as_list()
    verdict = _verdict(report, original)
    if verdict is not None:
        # the worst phase decides: an error in teardown does not hide behind a passed call
        if ORDER[verdict] >= ORDER.get(res.verdict, -1):
            res.verdict = verdict
            # the exception itself stays off the report: pytest-xdist sends reports between processes
            res.reason = "" if verdict == "passed" else _reason(report, original)
    if report.when == "call" and res.verdict == "passed" and not res.evidence:
        res.verdict, res.reason = "error", "the claim passed without recording any evidence"
        report.outcome = "failed"
        report.longrepr = f"[{run.target.name}] {res.id}: passed without recording any evidence"
    if report.when == "call":
        res.steps = _step_outcomes(item, sc, run.steps_done.get(item.nodeid, (0, 0)), res.verdict)
    if report.failed and res.verdict == "failed" and res.waiver and not res.waiver["expired"]:
        # a waived failure: pytest counts it as an expected failure, so its own exit status agrees
        res.verdict = "waived"
        report.outcome = "skipped"
        report.wasxfail = f"waived until {res.waiver['expires']} by {res.waiver['approver']}"  # type: ignore[attr-defined]
        report._lc_waived = True  # type: ignore[attr-defined]
    if report.failed:
        run.claim_failures += 1


def _step_outcomes(item: pytest.Item, sc: Any, progress: tuple[int, int], verdict: str) -> list[dict[str, Any]]:
    """Each Gherkin step of the claim with how far the run got: passed, the one that stopped it, skipped."""
    callspec = getattr(item, "callspec", None)
    example = callspec.params.get("_pytest_bdd_example") if callspec is not None else None
    try:
        steps = sc.render(example).steps if example else sc.steps
    except Exception:  # noqa: BLE001 - the report can live without the step list
        return []
    started, done = progress
    stopped = {"failed": "failed", "waived": "failed", "error": "error", "not_applicable": "skipped"}.get(verdict)
    out = []
    for i, st in enumerate(steps):
        if i < done:
            status = "passed"
        elif i < started and stopped:
            status = stopped
        else:
            status = "not_run"
        out.append({"keyword": st.keyword, "text": st.name, "line": st.line_number, "status": status})
    return out


def pytest_bdd_before_step(
    request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, step_func: Any
) -> None:
    run = request.config.stash[RUN]
    started, done = run.steps_done.get(request.node.nodeid, (0, 0))
    run.steps_done[request.node.nodeid] = (started + 1, done)


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


ORDER = {"passed": 0, "not_applicable": 1, "failed": 2, "waived": 2, "error": 3}


def _redact_report(report: pytest.TestReport) -> None:
    """What pytest shows of a test (its FAILURES section, the reason of a skip, captured output),
    redacted as results.json is: it reaches the terminal and the CI log."""
    report.sections = [(title, redact_text(text)) for title, text in report.sections]
    if isinstance(report.longrepr, tuple):
        path, line, reason = report.longrepr
        report.longrepr = (path, line, redact_text(reason))
    elif report.longrepr is not None:
        text = report.longreprtext
        clean = redact_text(text)
        if clean != text:  # a traceback that shows a credential: its redacted text instead
            report.longrepr = clean


def _message_only(exc: BaseException) -> pytest.ExceptionInfo[BaseException]:
    """A claim's failure message says target, expected and found: no traceback to format. (Formatting
    one costs about 0.1 s a claim, which is what made a run against an unreachable lab slow.)"""
    try:
        pytest.fail(redact_text(str(exc)), pytrace=False)
    except pytest.fail.Exception:
        return pytest.ExceptionInfo.from_current()
    raise AssertionError("unreachable")  # pragma: no cover


def _verdict(report: pytest.TestReport, exc: BaseException | None) -> str | None:
    if report.skipped:
        return "not_applicable"
    if report.failed:
        if report.when == "call" and isinstance(exc, AssertionError) and not isinstance(exc, LabUnreachable):
            return "failed"
        return "error"
    if report.when == "call":
        return "passed"
    return None


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
    run = session.config.stash.get(RUN, None)
    if run is not None and run.worker_outputs:
        _finish_several(session, run, exitstatus)
        return
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
    params = run.lab.params if run.lab is not None and "params" in run.lab.__dict__ else None
    owners, owners_note = provisioning_owners(facts, params)
    for c in claims:
        c.owner = owners.get(c.id.split("[", 1)[0])
    docs = [c.as_dict() for c in claims]
    if run.baseline is not None:
        run.diff = gate.compare(docs, run.baseline, run.baseline_path or "")
        for c in claims:
            c.change = run.diff["claims"].get(c.id)
    other_failures = max(session.testsfailed - run.claim_failures, 0)
    run.decision = gate.decide(docs, run.diff, run.fail_on_impact, other_failures)
    # the gate decides between 0 and 1; interrupted, internal, usage and no-tests statuses stay pytest's
    if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED if run.decision.failed else pytest.ExitCode.OK
    meta = {
        "name": run.name,
        "labconform_version": __version__,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(run.started)),
        "duration_s": round(time.time() - run.started, 2),
        "command": sys.argv,
        "exit_status": int(session.exitstatus),
        "target": {
            "spec": target.spec,
            "name": target.name,
            "unreachable": target.unreachable,
            "facts": facts,
            "docker_version": docker_version,
            "kubernetes_version": _kubernetes_version(run.lab),
            "lease": _lease_seen(run),
        },
        "params": params.as_dict() if params is not None else None,
        "owners_note": owners_note,
        "cleanup": run.cleanup,
    }
    extra = {"gate": gate_record(run), "baseline": _baseline_record(run.diff)}
    writers = [("index.html", report.render), ("junit.xml", exports.junit), ("cucumber.json", exports.cucumber)]
    run.folder = write_run(run.reports_dir, meta, claims, extra, writers)
    protect = [run.folder] + ([Path(run.baseline_path)] if run.baseline_path else [])
    run.pruned = results.prune(run.reports_dir, session.config.getoption("keep_runs"), protect)
    if multi.several(session.config) and hasattr(session.config, "workeroutput"):
        lab_run = {"index": multi.worker_index(session.config), "meta": meta, "claims": [c.as_dict() for c in claims]}
        session.config.workeroutput["lc_results"] = json.loads(json.dumps(lab_run, default=str))


def _finish_several(session: pytest.Session, run: RunState, exitstatus: int) -> None:
    """Several labs: one run of all their claims, each claim's id and target naming its lab."""
    target, claims = multi.combine(run.name, run.worker_outputs)
    run.combined = claims
    docs = [c.as_dict() for c in claims]
    if run.baseline is not None:  # each lab's claims against the same lab's, or against a one-lab baseline
        run.diff = gate.compare(docs, run.baseline, run.baseline_path or "")
        for c in claims:
            c.change = run.diff["claims"].get(c.id)
    run.decision = gate.decide(docs, run.diff, run.fail_on_impact, 0)
    if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED if run.decision.failed else pytest.ExitCode.OK
    # a lab's own record, with what is the whole run's
    meta = dict(min(run.worker_outputs, key=lambda o: o["index"])["meta"])
    meta.update(
        name=run.name,
        started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(run.started)),
        duration_s=round(time.time() - run.started, 2),
        command=sys.argv,
        exit_status=int(session.exitstatus),
        target=target,
        params=None,
        owners_note="several labs: each lab's own run (target.targets[].run) names its provisioning steps",
    )
    writers = [("index.html", report.render), ("junit.xml", exports.junit), ("cucumber.json", exports.cucumber)]
    extra = {"gate": gate_record(run), "baseline": _baseline_record(run.diff)}
    run.folder = write_run(run.reports_dir, meta, claims, extra, writers)


def _lease_seen(run: RunState) -> dict[str, Any] | None:
    """Who held the lab's lease as this run ended (someone changing the lab explains changed verdicts)."""
    if run.target.unreachable or (run.lab is None and not run.target.is_local):
        return None  # a remote lab no claim reached: no connection just for this
    try:
        lease = LeaseKeeper(run.target, run.name, "").current()
    except Exception:  # noqa: BLE001 - the record does without it
        return None
    return {k: v for k, v in lease.as_dict().items() if k != "token"} if lease is not None else None  # token: secret


def _kubernetes_version(lab: Lab | None) -> str | None:
    """The cluster's version, when a claim of this run reached the cluster (never a new connection)."""
    if lab is None or "kube" not in lab.__dict__:
        return None
    try:
        return lab.kube.version().get("gitVersion")
    except Exception:  # noqa: BLE001 - the cluster may be the thing that is down
        return None


def provisioning_owners(facts: dict[str, Any] | None, params: Any) -> tuple[dict[str, dict[str, Any]], str | None]:
    """Which provisioning step makes each claim true, from the plan for this run's host facts.

    The plan is built (never run: no check, no change) against the facts this run read, as
    `python -m provision --facts` would, so the report needs no live target to say it."""
    if facts is None:
        return {}, "no host facts were read in this run: provisioning steps not known"
    try:
        from labconform.params import load_params
        from provision import Context, build_plan
        from provision.state import RecordedState

        state = RecordedState({"facts": facts}, "this run's facts")
        plan = build_plan(Context(None, state, params or load_params(None, state.facts.family)))
    except Exception as exc:  # noqa: BLE001 - provisioning is another package; the report does without
        return {}, f"the provisioning plan could not be built: {type(exc).__name__}: {exc}"
    owners: dict[str, dict[str, Any]] = {}
    for step in plan.steps:
        for cid in step.claims:
            owner = plan.owner_of(cid)
            if owner is not None:
                owners[cid] = {"step": owner.name, "commands": list(owner.commands)}
    return owners, None


def gate_record(run: RunState) -> dict[str, Any]:
    """The gate's decision and the waivers' state, as results.json and the report show them."""
    rec = run.decision.as_dict() if run.decision else {}
    rec["fail_on_impact"] = run.fail_on_impact
    if run.waivers_file:
        failing = [c.id for c in run.results.values() if c.verdict in ("failed", "error", "waived")]
        waived_by = {c.waiver["id"] for c in run.results.values() if c.verdict == "waived" and c.waiver}
        every = [(w, w.as_dict(run.today)) for w in run.waivers]
        rec["waivers"] = {
            "file": run.waivers_file,
            "all": [d for _, d in every],
            "expired": [d for w, d in every if w.expired(run.today)],
            "applied": [d for w, d in every if w.id in waived_by],
            # in force, and no claim it covers failed: the deviation it accepts is gone
            "unused": [d for w, d in every if not w.expired(run.today) and not any(w.covers(cid) for cid in failing)],
        }
    return rec


def _baseline_record(diff: dict[str, Any] | None) -> dict[str, Any] | None:
    if diff is None:
        return None
    return {k: v for k, v in diff.items() if k != "claims"}  # per claim: each claim's "change"


def _short(text: str, limit: int) -> str:
    """One line of the terminal summary: redacted, and cut with a mark that says where the rest is."""
    text = redact_text(text)
    return text if len(text) <= limit else text[:limit] + " ... (in full in the report)"


def _write_baseline_diff(tr: Any, run: RunState, claims: list[ClaimResult]) -> None:
    """Regressions first: they are what a change broke."""
    if run.diff is None:
        return
    groups = run.diff["groups"]
    tr.write_line(
        f"against baseline {run.baseline_path} ({run.diff.get('name')}): "
        + ", ".join(f"{len(groups[k])} {gate.CHANGE_LABELS[k]}" for k in gate.CHANGES if groups[k]),
        bold=True,
    )
    for res in claims:
        if res.id in groups["regressed"]:
            was = run.diff["claims"][res.id]["was"]
            tr.write_line(f"  REGRESSED {res.id} ({was} -> {res.verdict}): {_short(res.reason, 300)}",
                          red=res.verdict != "waived", bold=True)
    for cid in groups["fixed"]:
        tr.write_line(f"  fixed     {cid}", green=True)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is not None and run.worker_outputs and getattr(run, "folder", None) is not None:
        terminalreporter.section("labconform")
        for out in sorted(run.worker_outputs, key=lambda o: o["index"]):
            labc: dict[str, int] = {}
            for doc in out["claims"]:
                labc[doc["verdict"]] = labc.get(doc["verdict"], 0) + 1
            terminalreporter.write_line(f"target {out['meta']['target']['spec']}  run {out['meta']['name']}  {labc}")
        _write_baseline_diff(terminalreporter, run, run.combined)
        verdict = "FAILED: " + "; ".join(run.decision.reasons) if run.decision.failed else "passed"
        terminalreporter.write_line(f"gate: {verdict}", bold=True)
        terminalreporter.write_line(f"report: {run.folder / 'index.html'}")
        return
    if run is None or not run.results:
        return
    claims = list(run.results.values())
    c = counts(claims)
    tr = terminalreporter
    tr.section("labconform")
    tr.write_line(f"target {run.target.spec}  run {run.name}")
    tr.write_line("  ".join(f"{n} {v.replace('_', ' ')}" for v, n in c.items()))
    _write_baseline_diff(tr, run, claims)
    for res in claims:
        if res.verdict in ("failed", "error") and (run.diff is None or res.id not in run.diff["groups"]["regressed"]):
            tr.write_line(f"  {res.verdict.upper():6} {res.id}: {_short(res.reason, 300)}")
    for res in claims:
        if res.verdict == "waived":
            tr.write_line(
                f"  WAIVED {res.id} until {res.waiver['expires']} ({res.waiver['approver']}): {_short(res.reason, 200)}"
            )
    for w in run.waivers:
        if w.expired(run.today):
            tr.write_line(
                f"  EXPIRED WAIVER {w.id} expired {w.expires} ({w.source}:{w.line}); it waives nothing", yellow=True
            )
    if run.decision is not None:
        if run.decision.below_threshold:
            tr.write_line(
                f"below --fail-on-impact {run.fail_on_impact}, not failing the run: "
                + ", ".join(run.decision.below_threshold)
            )
        if run.decision.failed:
            tr.write_line("gate: FAILED: " + "; ".join(run.decision.reasons), red=True, bold=True)
        else:
            tr.write_line("gate: passed", green=True, bold=True)
    if run.cleanup and run.cleanup.get("note"):
        tr.write_line(f"clean-up: {run.cleanup['note']}", yellow=True)
    folder = getattr(run, "folder", None)
    if folder is not None:
        tr.write_line(f"report: {folder / 'index.html'}")
        tr.write_line(f"results: {folder / 'results.json'}  (also junit.xml, cucumber.json)")
    if run.pruned:
        tr.write_line(f"removed {len(run.pruned)} old run folder(s) beyond --keep-runs: {', '.join(run.pruned)}")
