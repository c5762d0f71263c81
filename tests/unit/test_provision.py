"""Provisioning: a plan that changes nothing with --check, converges when run, and changes nothing twice."""

from __future__ import annotations

import io
import json
from pathlib import Path

from labconform.params import load_params
from provision.__main__ import main
from provision.plan import Context, build_plan
from provision.state import RecordedState
from tests.support.provision import provisioned, statuses
from tests.support.recorded_hosts import ROCKY, rocky_with_docker_ce

REPO = Path(__file__).resolve().parents[2]


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


def test_recorded_facts_can_only_be_checked():
    ctx = Context(None, RecordedState(json.loads(ROCKY.read_text())), load_params(None, "rhel"))
    outcomes = build_plan(ctx).run(check_only=False, out=open("/dev/null", "w"))
    assert outcomes[0].status == "failed" and "can only be checked" in outcomes[0].detail


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
