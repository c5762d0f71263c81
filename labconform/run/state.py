"""The run model: what one run shares (its name, target, claims' results), its record (metadata,
the gate's decision, the diff against a baseline) and the run written to reports/<run>/, for one
lab or for several labs merged."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from labconform import __version__
from labconform.evidence import Evidence
from labconform.lab import Lab
from labconform.lease import LeaseKeeper
from labconform.outputs import allure, exports, report
from labconform.results import document, gate, history, waivers
from labconform.results.document import ClaimResult, new_run_name, write_run
from labconform.run import preparation, several_labs
from labconform.run.owners import provisioning_owners
from labconform.transport.ssh import SshOptions
from labconform.transport.target import Target

WRITERS = [("index.html", report.render), ("junit.xml", exports.junit), ("cucumber.json", exports.cucumber),
           ("metrics.prom", history.prometheus)]


class RunState:
    """Everything one run shares: its name, its target, the claims' results."""

    def __init__(self, config: pytest.Config) -> None:
        self.name = several_labs.run_name(config, config.getoption("run_name") or new_run_name())
        self.target = Target(several_labs.target_spec(config), ssh=ssh_options(config))
        self.reports_dir = Path(config.getoption("reports_dir"))
        self.params_file = config.getoption("lab_params")
        self.started = time.time()
        self.results: dict[str, ClaimResult] = {}
        self.evidence: dict[str, Evidence] = {}
        self.ahead = preparation.Plan()  # what the selected claims need prepared before their turn
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
        self.diagnostics_s = 0.0  # spent collecting diagnostics at failure (bounded per run)
        self.decision: gate.Decision | None = None
        self.diff: dict[str, Any] | None = None
        self.pruned: list[str] = []
        self.lease: LeaseKeeper | None = None  # taken before the first destructive claim
        self.worker_outputs: list[dict[str, Any]] = []  # several --target: each worker's lab's run
        self.cleanup: dict[str, Any] | None = None  # the run's containers removed at its end, or why not
        self.combined: list[ClaimResult] = []  # several --target: every lab's claims, ids naming their lab
        self.meta: dict[str, Any] | None = None  # results.json's "run", once written
        self.folder: Path | None = None  # reports/<run>/, once written
        self.allure = config.stash.get(allure.KEY, None)  # --alluredir: the results held till the end


def ssh_options(config: pytest.Config) -> SshOptions:
    return SshOptions(
        identity=config.getoption("ssh_identity"),
        known_hosts=config.getoption("known_hosts"),
        accept_host_key=config.getoption("accept_host_key"),
    )


def load_gate_inputs(run: RunState) -> None:
    """Read --baseline and --waivers now: a bad file is a usage error (exit 4) before anything runs."""
    if run.baseline_path:
        try:
            run.baseline = document.load(run.baseline_path)
        except FileNotFoundError:
            raise pytest.UsageError(f"--baseline {run.baseline_path}: no results.json there") from None
        except (OSError, ValueError) as exc:
            raise pytest.UsageError(f"--baseline {run.baseline_path}: {exc}") from None
    if run.waivers_file:
        try:
            run.waivers = waivers.load(run.waivers_file)
        except waivers.WaiverError as exc:
            raise pytest.UsageError(str(exc)) from None


# --- the end of a run ---------------------------------------------------------------------------


def finish(run: RunState, exitstatus: int, other_failures: int, keep_runs: int) -> int:
    """One lab's run: verdicts completed, owners named, the gate's decision, reports/<run>/ written,
    old runs pruned. Returns the run's exit status."""
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
    # the file the run's parameters came from, when a claim read them
    owners, owners_note = provisioning_owners(facts, run.params_file if params is not None else None)
    for c in claims:
        c.owner = owners.get(c.id.split("[", 1)[0])
    exitstatus = judge(run, claims, other_failures, exitstatus)
    run.meta = {
        "name": run.name,
        "labconform_version": __version__,
        "started": _utc(run.started),
        "duration_s": round(time.time() - run.started, 2),
        "command": sys.argv,
        "exit_status": int(exitstatus),
        "target": {
            "spec": target.spec,
            "name": target.name,
            "unreachable": target.unreachable,
            "facts": facts,
            "docker_version": docker_version,
            "kubernetes_version": kubernetes_version(run.lab),
            "lease": lease_seen(run),
        },
        "params": params.as_dict() if params is not None else None,
        "owners_note": owners_note,
        "cleanup": run.cleanup,
    }
    _write(run, claims)
    if run.allure is not None and run.folder is not None:  # several labs: each lab's worker writes its own
        allure.write_quietly(run.allure, document.load(run.folder))
    protect = [run.folder] + ([Path(run.baseline_path)] if run.baseline_path else [])
    run.pruned = document.prune(run.reports_dir, keep_runs, protect)
    return exitstatus


def finish_several(run: RunState, exitstatus: int) -> int:
    """Several labs: one run of all their claims, each claim's id and target naming its lab.
    Returns the run's exit status."""
    target, claims = several_labs.combine(run.name, run.worker_outputs)
    run.combined = claims
    # each lab's claims against the same lab's, or against a one-lab baseline
    exitstatus = judge(run, claims, 0, exitstatus)
    # a lab's own record, with what is the whole run's
    run.meta = dict(min(run.worker_outputs, key=lambda o: o["index"])["meta"])
    run.meta.update(
        name=run.name,
        started=_utc(run.started),
        duration_s=round(time.time() - run.started, 2),
        command=sys.argv,
        exit_status=int(exitstatus),
        target=target,
        params=None,
        owners_note="several labs: each lab's own run (target.targets[].run) names its provisioning steps",
    )
    _write(run, claims)
    return exitstatus


def lab_run(run: RunState, index: int | None) -> dict[str, Any]:
    """A worker's lab's run as the controller merges it (several --target): plain JSON."""
    doc = {"index": index, "meta": run.meta, "claims": [c.as_dict() for c in run.results.values()]}
    return json.loads(json.dumps(doc, default=str))


def judge(run: RunState, claims: list[ClaimResult], other_failures: int, exitstatus: int) -> int:
    """The diff against the baseline and the gate's decision; the exit status it gives."""
    docs = [c.as_dict() for c in claims]
    if run.baseline is not None:
        run.diff = gate.compare(docs, run.baseline, run.baseline_path or "")
        for c in claims:
            c.change = run.diff["claims"].get(c.id)
    run.decision = gate.decide(docs, run.diff, run.fail_on_impact, other_failures)
    # the gate decides between 0 and 1; interrupted, internal, usage and no-tests statuses stay pytest's
    if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return pytest.ExitCode.TESTS_FAILED if run.decision.failed else pytest.ExitCode.OK
    return exitstatus


def _write(run: RunState, claims: list[ClaimResult]) -> None:
    extra = {"gate": gate_record(run), "baseline": baseline_record(run.diff)}
    run.folder = write_run(run.reports_dir, run.meta, claims, extra, WRITERS)


def _utc(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def lease_seen(run: RunState) -> dict[str, Any] | None:
    """Who held the lab's lease as this run ended (someone changing the lab explains changed verdicts)."""
    if run.target.unreachable or (run.lab is None and not run.target.is_local):
        return None  # a remote lab no claim reached: no connection just for this
    try:
        lease = LeaseKeeper(run.target, run.name, "").current()
    except Exception:  # noqa: BLE001 - the record does without it
        return None
    return {k: v for k, v in lease.as_dict().items() if k != "token"} if lease is not None else None  # token: secret


def kubernetes_version(lab: Lab | None) -> str | None:
    """The cluster's version, when a claim of this run reached the cluster (never a new connection)."""
    if lab is None or "kube" not in lab.__dict__:
        return None
    try:
        return lab.kube.version().get("gitVersion")
    except Exception:  # noqa: BLE001 - the cluster may be the thing that is down
        return None


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


def baseline_record(diff: dict[str, Any] | None) -> dict[str, Any] | None:
    if diff is None:
        return None
    return {k: v for k, v in diff.items() if k != "claims"}  # per claim: each claim's "change"
