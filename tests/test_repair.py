"""Repair by claim (`python -m provision --claims`): ids checked before anything runs, the steps a
claim's repair walks, a real repair on this machine, and the report's repair line under a failed claim."""

from __future__ import annotations

import argparse
import io
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from lab_node import run_on
from test_change import node_reach
from test_provision import rocky_with_docker_ce

from labconform.errors import WaitTimeout
from labconform.params import load_params
from labconform.poll import until
from labconform.repair import command_line, reach_options
from labconform.report import render
from provision import Context, build_plan
from provision.__main__ import main
from provision.claims import parse_ids, pytest_argv, say_verdicts, select, verify
from provision.core import Plan
from provision.state import RecordedState

REPO = Path(__file__).resolve().parent.parent
ROCKY = REPO / "tests" / "data" / "rocky-8.4.json"
BRIDGE = Path("/proc/sys/net/bridge/bridge-nf-call-iptables")


def rocky_plan(data: dict | None = None) -> Plan:
    state = RecordedState(data or json.loads(ROCKY.read_text()), "test")
    return build_plan(Context(None, state, load_params(None, state.facts.family), out=io.StringIO()))


def names(steps: list) -> list[str]:
    return [s.name for s in steps]


# --- the ids, checked before anything runs ---------------------------------------------------------


@pytest.mark.unit
def test_unknown_ids_are_one_usage_error_before_anything_is_read(capsys):
    # the facts file does not exist: had anything been read first, that would be the error
    rc = main(["--facts", "/nonexistent/facts.json", "--claims", "nope-01,docker-03, zz-9 ,nope-01"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("provision:") == 1 and "unknown claim id(s) nope-01, zz-9:" in err
    assert "docker-03" not in err and "facts.json" not in err


@pytest.mark.unit
@pytest.mark.parametrize(("argv", "said"), [
    (["--claims", " , "], "no claim id given"),
    (["--claims", "docker-03", "--only", "docker"], "--claims and --only do not go together"),
    (["--claims", "docker-03", "--owners"], "--claims and --owners do not go together"),
    (["--claims", "docker-03", "--waivers", "/nonexistent/waivers.yaml"], "no such file"),
    # what pytest's -m expression could misread never gets that far, even were it a tag
    (["--claims", 'docker-03") or ("'], "unknown claim id(s)"),
])
def test_bad_claims_options_are_usage_errors(capsys, argv, said):
    assert main(["--facts", "/nonexistent/facts.json", *argv]) == 2
    assert said in capsys.readouterr().err


@pytest.mark.unit
def test_the_usage_error_exit_status_of_the_command():
    p = subprocess.run([sys.executable, "-m", "provision", "--claims", "docker-99"], cwd=REPO,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.strip() == "provision: --claims: unknown claim id(s) docker-99: no @id tag in features/ has them"


@pytest.mark.unit
def test_ids_are_taken_as_written_or_as_their_tag_once_each():
    known = {"docker-03", "k8s-prep-01"}
    assert parse_ids("id:docker-03,k8s-prep-01,docker-03", known) == ["docker-03", "k8s-prep-01"]


# --- which steps a repair walks (recorded Rocky 8.4 host) ------------------------------------------


@pytest.mark.unit
def test_a_claim_walks_its_owner_and_the_earlier_steps_of_its_part_only():
    plan = rocky_plan()
    sel = select(plan, ["docker-04"])
    assert names(sel.steps) == ["Docker CE repository", "docker engine packages", "no podman or buildah", "daemon.json",
                                "docker.service and docker.socket in /etc/systemd/system",
                                "docker daemon enabled and running"]
    assert {s.section for s in sel.steps} == {"docker"}  # not the host part, not the image after it
    assert sel.unowned == []


@pytest.mark.unit
def test_claims_of_two_parts_and_a_claim_of_two_steps():
    plan = rocky_plan()
    sel = select(plan, ["k8s-prep-01", "docker-03", "k8s-inst-01"])
    docker = [s.name for s in sel.steps if s.section == "docker"]
    kube = [s.name for s in sel.steps if s.section == "kubernetes"]
    assert docker == ["Docker CE repository", "docker engine packages", "no podman or buildah", "daemon.json"]
    # k8s-inst-01 is named by the repository and the packages: its part runs up to the later one
    assert kube[-2:] == ["Kubernetes repository", "kubeadm, kubelet and kubectl"]
    assert "bridged traffic through iptables" in kube and "kubelet enabled" not in kube
    assert names(sel.steps) == [s.name for s in plan.steps if s in sel.steps]  # plan order kept
    assert [s.name for s in sel.owners["k8s-inst-01"]] == ["Kubernetes repository", "kubeadm, kubelet and kubectl"]


@pytest.mark.unit
def test_a_claim_no_step_owns_is_said_and_walks_nothing(capsys):
    sel = select(rocky_plan(), ["k8s-prep-06"])
    assert sel.steps == [] and sel.unowned == ["k8s-prep-06"]
    rc = main(["--facts", str(ROCKY), "--claims", "k8s-prep-06"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "k8s-prep-06: no provisioning step owns this claim" in out and "no step" in out


@pytest.mark.unit
def test_an_earlier_step_in_place_costs_its_check_and_a_broken_one_is_walked(tmp_path):
    """A provisioned Docker with daemon.json edited by hand: asking for docker-03 leaves the packages
    as they are (unchanged) and walks only daemon.json; asking for docker-04 also walks the daemon."""
    done = rocky_with_docker_ce()
    done["files"]["/etc/docker/daemon.json"] = json.dumps({"live-restore": True})  # no systemd driver
    recorded = tmp_path / "edited.json"
    recorded.write_text(json.dumps(done))
    out = tmp_path / "plan.json"
    assert main(["--facts", str(recorded), "--claims", "docker-03", "--json", str(out)]) == 0
    steps = {s["step"]: s["status"] for s in json.loads(out.read_text())["steps"]}
    assert steps == {"Docker CE repository": "unchanged", "docker engine packages": "unchanged",
                     "no podman or buildah": "unchanged", "daemon.json": "would-change"}
    assert "claims" not in json.loads(out.read_text())  # --facts: nothing is changed, nothing checked


# --- the check afterwards ----------------------------------------------------------------------------


def check_args(**given: object) -> argparse.Namespace:
    """The options of python -m provision that the check afterwards reads."""
    args = {"reports_dir": "reports/repairs", "target": "local", "ssh_identity": None, "known_hosts": None,
            "lab_params": None, "waivers": None, "accept_host_key": False}
    return argparse.Namespace(**{**args, **given})


@pytest.mark.unit
def test_the_check_selects_the_claims_exactly_and_reaches_the_lab_the_same_way(tmp_path):
    args = check_args(reports_dir="rel/reps", target="ssh://root@lab:22", ssh_identity="k/id", lab_params="p.yaml",
                      accept_host_key=True)
    argv = pytest_argv(["k8s-prep-01", "multi-02"], args, "repair-x")
    assert argv[1:4] == ["-m", "pytest", "features/"]
    assert argv[argv.index("-m", 2) + 1] == 'id(value="k8s-prep-01") or id(value="multi-02")'
    assert argv[argv.index("--target") + 1] == "ssh://root@lab:22"
    # the suite runs in the repository: paths as typed are resolved where the command was given
    assert argv[argv.index("--ssh-identity") + 1] == str(Path("k/id").resolve())
    assert argv[argv.index("--reports-dir") + 1] == str(Path("rel/reps").resolve())
    assert "--known-hosts" not in argv and "--waivers" not in argv and argv[-1] == "--accept-host-key"


@pytest.mark.unit
def test_only_passed_waived_or_not_applicable_claims_count_as_repaired(capsys):
    assert say_verdicts({"a-01": [("a-01", "passed", "")], "b-01": [("b-01", "waived", "known")],
                         "c-01": [("c-01[x]", "not_applicable", "no SELinux"), ("c-01[y]", "passed", "")]})
    assert not say_verdicts({"a-01": [("a-01", "passed", "")], "d-01": [("d-01", "failed", "found 0\nmore")]})
    assert not say_verdicts({"e-01": [("e-01", "error", "the suite did not run this claim")]})
    out = capsys.readouterr().out
    assert "failed  d-01: found 0\n" in out and "more" not in out
    assert "not_applicable  c-01[x]: no SELinux" in out


# --- the report's repair line ------------------------------------------------------------------------


def claim_articles(page: str) -> dict[str, str]:
    """Each claim's <article> of a report, by claim id."""
    return dict(re.findall(r'<article class="claim [^"]*" id="claim-([^"]+)"(.*?)</article>', page, re.S))


def doc_with(claims: list[dict], command: list[str], spec: str) -> dict:
    counts = {v: sum(c["verdict"] == v for c in claims) for v in ("passed", "failed", "not_applicable", "waived",
                                                                  "error")}
    return {"schema": "labconform.results", "schema_version": 1, "counts": counts, "claims": claims,
            "run": {"name": "r1", "command": command, "exit_status": 1, "target": {"spec": spec, "name": "lab"}},
            "gate": {"status": "failed", "reasons": ["1 failed claim"]}}


def a_claim(cid: str, verdict: str, owner: dict | None) -> dict:
    return {"id": cid, "verdict": verdict, "reason": "" if verdict == "passed" else "found 0", "owner": owner,
            "feature": "Preparing K8s", "feature_file": "80_preparing_k8s.feature", "scenario": "s",
            "impact": "high", "mode": "passive", "target": "ssh://root@lab:22?sudo=true", "evidence": []}


@pytest.mark.unit
def test_the_report_shows_the_owner_its_commands_and_the_repair_line_under_a_failed_claim():
    owner = {"step": "bridged traffic through iptables", "commands": ["sysctl --system"]}
    command = ["pytest", "features/", "--target", "ssh://root@lab:22?sudo=true", "--ssh-identity", "keys/id lab",
               "--known-hosts=kh", "--lab-params", "p.yaml", "-k", "k8s", "--accept-host-key", "--run-name", "x"]
    doc = doc_with([a_claim("k8s-prep-01", "failed", owner), a_claim("k8s-prep-02", "passed", owner),
                    a_claim("k8s-prep-06", "failed", None), a_claim("k8s-prep-03", "waived", owner)],
                   command, "ssh://root@lab:22?sudo=true")
    articles = claim_articles(render(doc))
    failed = articles["k8s-prep-01"]
    line = ("python -m provision --claims k8s-prep-01 --target 'ssh://root@lab:22?sudo=true' "
            "--ssh-identity 'keys/id lab' --known-hosts kh --lab-params p.yaml --accept-host-key")
    assert "bridged traffic through iptables" in failed and "<code>sysctl --system</code>" in failed
    assert f"<code class='repair'>{line.replace(chr(39), '&#x27;')}</code>" in failed
    assert failed.index("made true by") < failed.index("python -m provision --claims")
    assert "python -m provision" not in articles["k8s-prep-02"]  # passed: nothing to repair
    assert "python -m provision" not in articles["k8s-prep-06"]  # failed, but no step owns it
    assert "python -m provision" not in articles["k8s-prep-03"]  # waived: a deviation accepted as it is


@pytest.mark.unit
def test_a_failed_claim_whose_owner_the_run_does_not_know_still_gets_its_repair_line():
    doc = doc_with([a_claim("k8s-prep-01", "failed", None), a_claim("k8s-prep-02", "passed", None)],
                   ["pytest", "features/"], "local")
    doc["run"]["owners_note"] = "no host facts were read in this run: provisioning steps not known"
    page = render(doc)
    assert page.count("python -m provision --claims") == 1
    assert "python -m provision --claims k8s-prep-01 --target" in page
    assert "not known in this run (no host facts were read in this run" in page


@pytest.mark.unit
def test_the_repair_line_of_a_lab_of_several_and_an_outline_row():
    run = {"command": ["pytest", "features/", "--target", "local", "--target", "ssh://root@n:22", "--waivers", "w.y"],
           "target": {"spec": None}}
    claim = {"id": "multi-02[mytc1]@n", "target": "ssh://root@n:22", "verdict": "failed"}
    assert command_line(claim, run) == "python -m provision --claims multi-02 --target ssh://root@n:22 --waivers w.y"
    assert reach_options(["pytest", "--target", "local"]) == []


# --- a real repair on this machine -------------------------------------------------------------------


@pytest.mark.faults
def test_a_broken_bridge_setting_is_repaired_by_its_claim(tmp_path, suite):
    """The bridge sysctl set to 0 for real: the claim fails and its report names the repair; that
    command line repairs it (only its part's steps walked) and says the claim passes."""
    if not BRIDGE.exists():
        pytest.skip("no br_netfilter on this host")
    try:
        subprocess.run(["sysctl", "-w", "net.bridge.bridge-nf-call-iptables=0"], check=True, capture_output=True)
        # the whole section: its other claims read the host facts the owners are named from
        run = suite("features/80_preparing_k8s.feature")
        assert run.verdicts()["k8s-prep-01"] == "failed", run.out
        assert run.claim("k8s-prep-01")["owner"]["step"] == "bridged traffic through iptables"
        article = claim_articles((run.reports / "latest" / "index.html").read_text())["k8s-prep-01"]
        assert "<b>bridged traffic through iptables</b>" in article and "<code>sysctl --system</code>" in article
        found = re.search(r"<code class='repair'>(python -m provision --claims k8s-prep-01[^<]*)</code>", article)
        assert found, article
        argv = shlex.split(found[1].replace("&#x27;", "'"))
        assert argv[:5] == ["python", "-m", "provision", "--claims", "k8s-prep-01"]
        rc, record, said = repair(tmp_path, *argv[3:])
        assert rc == 0, said
        steps = {s["step"]: s for s in record["steps"]}
        assert steps["bridged traffic through iptables"]["status"] == "changed", said
        assert {s["section"] for s in record["steps"]} == {"kubernetes"}
        assert record["claims"] == {"k8s-prep-01": "passed"}
        assert re.search(r"passed  k8s-prep-01$", said, re.M), said
        assert BRIDGE.read_text().strip() == "1"
    finally:
        subprocess.run(["sysctl", "-w", "net.bridge.bridge-nf-call-iptables=1"], capture_output=True)


def repair(tmp_path: Path, *args: str) -> tuple[int, dict, str]:
    out = tmp_path / f"repair-{len(list(tmp_path.glob('repair-*.json')))}.json"
    p = subprocess.run([sys.executable, "-m", "provision", "--lease-wait", "900", "--json", str(out),
                        "--reports-dir", str(tmp_path / "repairs"), *args],
                       cwd=REPO, capture_output=True, text=True, timeout=1800)
    return p.returncode, json.loads(out.read_text()) if out.exists() else {}, p.stdout + p.stderr


@pytest.mark.lab
def test_a_claim_no_step_owns_is_only_checked_and_its_verdict_decides(tmp_path):
    """k8s-flannel-01 on this Debian lab: no step owns it (the bridge CNI stands in for Flannel), so
    nothing is run; it fails, exit 1, unless the lab's waiver file is given, when it is waived, exit 0."""
    if "ID=debian" not in Path("/etc/os-release").read_text():
        pytest.skip("the offline Debian lab's claim")
    rc, record, said = repair(tmp_path, "--claims", "k8s-flannel-01")
    assert "k8s-flannel-01: no provisioning step owns this claim" in said
    assert record["steps"] == [] and record["claims"] == {"k8s-flannel-01": "failed"}, said
    assert rc == 1 and re.search(r"failed  k8s-flannel-01: .*no Flannel DaemonSet", said), said
    waivers = REPO / "labs" / "debian-offline" / "waivers.yaml"
    rc, record, said = repair(tmp_path, "--claims", "k8s-flannel-01", "--waivers", str(waivers))
    assert record["claims"] == {"k8s-flannel-01": "waived"} and rc == 0, said


@pytest.mark.faults
def test_a_claim_of_the_lab_node_is_repaired_over_ssh(tmp_path):
    """The same repair on the lab node lab1, over SSH: the options that reach it reach the suite's check."""
    reach = node_reach()
    opts = dict(zip(reach[::2], reach[1::2], strict=True))
    try:  # the node is shared: another run may be rebooting it
        until(lambda: run_on(reach, "true").returncode == 0, timeout=300, interval=2, what="lab1 answering over SSH")
    except WaitTimeout as exc:
        pytest.skip(str(exc))
    try:
        assert run_on(reach, "sysctl", "-w", "net.bridge.bridge-nf-call-iptables=0").returncode == 0
        rc, record, said = repair(tmp_path, *reach, "--lab-params", str(REPO / "labs" / "node" / "params.yaml"),
                                  "--claims", "k8s-prep-01")
        assert rc == 0, said
        assert {s["step"]: s["status"] for s in record["steps"]}["bridged traffic through iptables"] == "changed"
        assert record["claims"] == {"k8s-prep-01": "passed"}, said
        assert f"--target {opts['--target']} --ssh-identity {opts['--ssh-identity']}" in said
        assert run_on(reach, "cat", str(BRIDGE)).stdout.strip() == "1"
    finally:
        run_on(reach, "sysctl", "-w", "net.bridge.bridge-nf-call-iptables=1")


@pytest.mark.lab
def test_a_destructive_claim_is_not_checked_and_does_not_count_as_holding(tmp_path):
    """k8s-clean-01 (the document's clean-up) is skipped by a run without --destructive: asked for, it
    is said not checked, and the run exits 1; nothing is walked, no step owns it."""
    rc, record, said = repair(tmp_path, "--claims", "k8s-clean-01")
    assert record["steps"] == [] and record["claims"] == {"k8s-clean-01": "not_checked"}, said
    assert rc == 1 and "not_checked  k8s-clean-01: a destructive claim changes the lab" in said


@pytest.mark.plugin
def test_a_check_that_writes_no_results_makes_every_asked_claim_an_error(tmp_path, capsys):
    """The suite refuses to start (its reports folder is a file): its last lines are shown, and each
    asked claim is an error, never a pass."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    args = check_args(reports_dir=str(blocker))
    got = verify(["k8s-prep-01"], args)
    assert got["k8s-prep-01"][0][1] == "error" and "wrote no results (exit 4" in got["k8s-prep-01"][0][2]
    assert "  | " in capsys.readouterr().out
    assert not say_verdicts(got)
