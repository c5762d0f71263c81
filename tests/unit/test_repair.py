"""Repair by claim (`python -m provision --claims`): ids checked before anything runs, the steps a
claim's repair walks, a real repair on this machine, and the report's repair line under a failed claim."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from labconform.outputs.repair import command_line, reach_options
from labconform.outputs.report import render
from labconform.params import load_params
from provision.__main__ import main
from provision.claims import parse_ids, pytest_argv, say_verdicts, select
from provision.core import Plan
from provision.plan import Context, build_plan
from provision.state import RecordedState
from tests.support.recorded_hosts import rocky_with_docker_ce
from tests.support.repair import check_args, claim_articles

REPO = Path(__file__).resolve().parents[2]
ROCKY = REPO / "tests" / "data" / "rocky-8.4.json"


def rocky_plan(data: dict | None = None) -> Plan:
    state = RecordedState(data or json.loads(ROCKY.read_text()), "test")
    return build_plan(Context(None, state, load_params(None, state.facts.family), out=io.StringIO()))


def names(steps: list) -> list[str]:
    return [s.name for s in steps]


# --- the ids, checked before anything runs ---------------------------------------------------------


def test_unknown_ids_are_one_usage_error_before_anything_is_read(capsys):
    # the facts file does not exist: had anything been read first, that would be the error
    rc = main(["--facts", "/nonexistent/facts.json", "--claims", "nope-01,docker-03, zz-9 ,nope-01"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("provision:") == 1 and "unknown claim id(s) nope-01, zz-9:" in err
    assert "docker-03" not in err and "facts.json" not in err


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


def test_the_usage_error_exit_status_of_the_command():
    p = subprocess.run([sys.executable, "-m", "provision", "--claims", "docker-99"], cwd=REPO,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.strip() == "provision: --claims: unknown claim id(s) docker-99: no @id tag in features/ has them"


def test_ids_are_taken_as_written_or_as_their_tag_once_each():
    known = {"docker-03", "k8s-prep-01"}
    assert parse_ids("id:docker-03,k8s-prep-01,docker-03", known) == ["docker-03", "k8s-prep-01"]


# --- which steps a repair walks (recorded Rocky 8.4 host) ------------------------------------------


def test_a_claim_walks_its_owner_and_the_earlier_steps_of_its_part_only():
    plan = rocky_plan()
    sel = select(plan, ["docker-04"])
    assert names(sel.steps) == ["Docker CE repository", "docker engine packages", "no podman or buildah", "daemon.json",
                                "docker.service and docker.socket in /etc/systemd/system",
                                "docker daemon enabled and running"]
    assert {s.section for s in sel.steps} == {"docker"}  # not the host part, not the image after it
    assert sel.unowned == []


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


def test_a_claim_no_step_owns_is_said_and_walks_nothing(capsys):
    sel = select(rocky_plan(), ["k8s-prep-06"])
    assert sel.steps == [] and sel.unowned == ["k8s-prep-06"]
    rc = main(["--facts", str(ROCKY), "--claims", "k8s-prep-06"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "k8s-prep-06: no provisioning step owns this claim" in out and "no step" in out


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


def test_only_passed_waived_or_not_applicable_claims_count_as_repaired(capsys):
    assert say_verdicts({"a-01": [("a-01", "passed", "")], "b-01": [("b-01", "waived", "known")],
                         "c-01": [("c-01[x]", "not_applicable", "no SELinux"), ("c-01[y]", "passed", "")]})
    assert not say_verdicts({"a-01": [("a-01", "passed", "")], "d-01": [("d-01", "failed", "found 0\nmore")]})
    assert not say_verdicts({"e-01": [("e-01", "error", "the suite did not run this claim")]})
    out = capsys.readouterr().out
    assert "failed  d-01: found 0\n" in out and "more" not in out
    assert "not_applicable  c-01[x]: no SELinux" in out


# --- the report's repair line ------------------------------------------------------------------------


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


def test_a_failed_claim_whose_owner_the_run_does_not_know_still_gets_its_repair_line():
    doc = doc_with([a_claim("k8s-prep-01", "failed", None), a_claim("k8s-prep-02", "passed", None)],
                   ["pytest", "features/"], "local")
    doc["run"]["owners_note"] = "no host facts were read in this run: provisioning steps not known"
    page = render(doc)
    assert page.count("python -m provision --claims") == 1
    assert "python -m provision --claims k8s-prep-01 --target" in page
    assert "not known in this run (no host facts were read in this run" in page


def test_the_repair_line_of_a_lab_of_several_and_an_outline_row():
    run = {"command": ["pytest", "features/", "--target", "local", "--target", "ssh://root@n:22", "--waivers", "w.y"],
           "target": {"spec": None}}
    claim = {"id": "multi-02[mytc1]@n", "target": "ssh://root@n:22", "verdict": "failed"}
    assert command_line(claim, run) == "python -m provision --claims multi-02 --target ssh://root@n:22 --waivers w.y"
    assert reach_options(["pytest", "--target", "local"]) == []


# --- a real repair on this machine -------------------------------------------------------------------


