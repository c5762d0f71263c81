"""Provisioning: a plan that changes nothing with --check, converges when run, and changes nothing twice."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from labconform.params import load_params
from provision import Context, build_plan
from provision.__main__ import main
from provision.state import RecordedState

REPO = Path(__file__).resolve().parent.parent
ROCKY = REPO / "tests" / "data" / "rocky-8.4.json"
CONTEXT = Path("/app/contexts/mytc")


def provision(tmp_path: Path, *args: str) -> tuple[int, dict, str]:
    out = tmp_path / f"plan-{len(list(tmp_path.iterdir()))}.json"
    p = subprocess.run(
        [sys.executable, "-m", "provision", "--json", str(out), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    plan = json.loads(out.read_text()) if out.exists() else {}
    return p.returncode, plan, p.stdout + p.stderr


def provisioned(tmp_path: Path, *args: str) -> tuple[dict, str]:
    """`python -m provision ARGS`, which must exit 0: its plan (--json) and what it printed."""
    rc, plan, out = provision(tmp_path, *args)
    assert rc == 0, out
    return plan, out


def statuses(plan: dict) -> dict[str, str]:
    return {s["step"]: s["status"] for s in plan["steps"]}


@pytest.fixture
def broken_context():
    """Break the mytc build context for real (an edited JSP, a missing Dockerfile); restore it after."""
    jsp, dockerfile = CONTEXT / "ROOT/index.jsp", CONTEXT / "Dockerfile"
    saved = jsp.read_bytes(), dockerfile.read_bytes()
    jsp.write_text('<% out.println("edited by hand"); %>\n')
    dockerfile.unlink()
    yield
    jsp.write_bytes(saved[0])
    dockerfile.write_bytes(saved[1])


@pytest.mark.faults
def test_check_plans_without_changing_anything(tmp_path, broken_context):
    plan, out = provisioned(tmp_path, "--check")
    assert statuses(plan)["mytc build context (ROOT/, ROOT.war, Dockerfile)"] == "would-change"
    assert "changed" not in statuses(plan).values()
    assert not (CONTEXT / "Dockerfile").exists()


@pytest.mark.faults
def test_provisioning_converges_and_a_second_run_changes_nothing(tmp_path, broken_context):
    first, out = provisioned(tmp_path, "--only", "docker")
    assert statuses(first)["mytc build context (ROOT/, ROOT.war, Dockerfile)"] == "changed"
    assert (CONTEXT / "Dockerfile").exists()
    second, out = provisioned(tmp_path, "--only", "docker")
    assert set(statuses(second).values()) == {"unchanged"}, out


@pytest.mark.lab
def test_the_whole_provisioned_lab_needs_no_step(tmp_path):
    """After provisioning (scripts/test.sh provisions before the tests), every step of every part holds."""
    plan, out = provisioned(tmp_path, "--check")
    assert {s["section"] for s in plan["steps"]} == {"host", "docker", "kubernetes"}
    assert set(statuses(plan).values()) == {"unchanged"}, out


@pytest.mark.lab
def test_only_refuses_an_unknown_part(tmp_path):
    rc, plan, out = provision(tmp_path, "--check", "--only", "dockr")
    assert rc == 2 and "unknown part(s) dockr" in out


@pytest.mark.lab
def test_every_step_names_the_claims_it_makes_true(tmp_path):
    plan, out = provisioned(tmp_path, "--check")
    claimed = {c for s in plan["steps"] for c in s["claims"]}
    for claim in ("docker-01", "docker-02", "docker-03", "docker-04", "hello-01", "mytc-01", "mytc-02", "tomcat-01"):
        assert claim in claimed


@pytest.mark.unit
def test_rocky_plan_from_recorded_facts_is_the_documents_path(tmp_path):
    plan, out = provisioned(tmp_path, "--facts", str(ROCKY))
    assert plan["check"] is True
    steps = {s["step"]: s for s in plan["steps"]}
    assert steps["docker engine packages"]["status"] == "would-change"
    assert any("docker-ce.repo" in c for c in steps["docker engine packages"]["commands"])
    assert steps["no podman or buildah"]["commands"] == ["dnf -y erase podman buildah"]
    assert "native.cgroupdriver=systemd" in steps["daemon.json"]["detail"]
    assert any("systemctl enable docker" in c for c in steps["docker daemon enabled and running"]["commands"])
    assert "tomcat:10.0.10-jdk16-openjdk-buster" in steps["Tomcat 10 base image"]["detail"]
    assert "changed" not in statuses(plan).values()


def rocky_with_docker_ce() -> dict:
    """The recorded Rocky 8.4 host with the document's Docker CE packages in place of podman and buildah, and
    the repository they came from (docker-08)."""
    done = json.loads(ROCKY.read_text())
    done["packages"].update({"docker-ce": "20.10.8-3.el8", "docker-ce-cli": "20.10.8-3.el8", "containerd.io": "1.4.9"})
    for p in ("podman", "buildah"):
        done["packages"].pop(p)
    done["files"]["/etc/yum.repos.d/docker-ce.repo"] = (
        "[docker-ce-stable]\nname=Docker CE Stable - $basearch\n"
        "baseurl=https://download.docker.com/linux/centos/$releasever/$basearch/stable\nenabled=1\ngpgcheck=1\n")
    return done


@pytest.mark.unit
def test_a_provisioned_rocky_host_needs_no_docker_step():
    done = rocky_with_docker_ce()
    done["files"]["/etc/docker/daemon.json"] = json.dumps(
        {"exec-opts": ["native.cgroupdriver=systemd"], "live-restore": True}
    )
    done["services"]["docker"] = {"enabled": True, "active": True}
    for unit in ("docker.service", "docker.socket"):
        done["files"][f"/etc/systemd/system/{unit}"] = f"[Unit]\nDescription={unit} from moby's contrib/init/systemd\n"
    done["users"] = {"otheruser": ["otheruser", "docker"]}
    done["docker_info"] = {"CgroupDriver": "systemd", "DefaultRuntime": "runc", "LiveRestoreEnabled": True}
    done["selinux_booleans"] = {"container_manage_cgroup": {"now": "on", "persistent": "on"}}
    state = RecordedState(done)
    ctx = Context(None, state, load_params(None, "rhel"))
    plan = build_plan(ctx)
    docker_steps = [s for s in plan.steps if any(c.startswith("docker-0") for c in s.claims)]
    assert docker_steps and all(s.check()[0] for s in docker_steps), [(s.name, s.check()) for s in docker_steps]
    # and the unprovisioned host needs every one of them
    bare = build_plan(Context(None, RecordedState(json.loads(ROCKY.read_text())), load_params(None, "rhel")))
    assert not any(s.check()[0] for s in bare.steps if any(c.startswith("docker-0") for c in s.claims))


@pytest.mark.unit
def test_recorded_facts_can_only_be_checked():
    ctx = Context(None, RecordedState(json.loads(ROCKY.read_text())), load_params(None, "rhel"))
    outcomes = build_plan(ctx).run(check_only=False, out=open("/dev/null", "w"))
    assert outcomes[0].status == "failed" and "can only be checked" in outcomes[0].detail


@pytest.mark.faults
def test_a_stale_mytc_image_fails_its_claim_until_provisioned(suite, tmp_path):
    war = CONTEXT / "ROOT.war"
    original = war.read_bytes()
    war.write_bytes(original + b"\0")  # the context moved on; the image was not rebuilt
    try:
        run = suite("features/60_tomcat_with_root_war.feature", "-k", "id:mytc-02 or id:mytc-01")
        # the archive still holds the same two files (zip ignores trailing bytes); the image's copy differs
        assert run.verdicts() == {"mytc-01": "passed", "mytc-02": "failed"}
        assert "sha256" in run.claim("mytc-02")["reason"]
    finally:
        rc, plan, out = provision(tmp_path, "--only", "docker")
    assert rc == 0, out
    assert war.read_bytes() == original
    run = suite("features/60_tomcat_with_root_war.feature", "-k", "id:mytc-02 or id:mytc-01")
    assert run.verdicts() == {"mytc-01": "passed", "mytc-02": "passed"}


@pytest.mark.unit
def test_provisioning_prints_and_records_no_credential(tmp_path, capsys):
    """A step's commands, their output on failure, its check's detail and the --json record are redacted."""
    from labconform.params import LabParams
    from labconform.transport.target import Target
    from provision.core import Plan, Step
    from provision.state import LiveState

    target = Target("local")
    out = io.StringIO()
    ctx = Context(target, LiveState(target), LabParams(), out=out)

    def apply() -> None:
        ctx.sh("echo 'token: kT0ken-planted-0123456789'", "echo 'password=pw-planted-hunter2' >&2; exit 3")

    step = Step("planted", ("x-01",), lambda: (False, "admin.conf user token: kT0ken-planted-0123456789"), apply,
                ("kubeadm join 10.0.0.5:6443 --token abcdef.0123456789abcdef",))
    (outcome,) = Plan([step]).run(check_only=False, out=out)
    printed, record = out.getvalue(), json.dumps(outcome.as_dict())
    assert outcome.status == "failed" and "exited 3" in printed
    assert "$ echo 'token: [redacted]" in printed and "password=[redacted]" in printed
    for secret in ("kT0ken-planted", "pw-planted", "abcdef.0123456789abcdef"):
        assert secret not in printed and secret not in record
    # a usage error that quotes a value: redacted as well
    params = tmp_path / "p.yaml"
    params.write_text("tls_site: password=pw-planted-hunter2\n")
    assert main(["--facts", str(ROCKY), "--lab-params", str(params)]) == 2
    err = capsys.readouterr().err
    assert "lab parameter tls_site" in err and "pw-planted" not in err
