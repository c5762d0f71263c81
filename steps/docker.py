"""Steps about the Docker engine, its images and the containers a claim starts."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from labconform import app


@given(parsers.parse('container "{role}" runs the {kind} image'))
def _(lab, role, kind):
    lab.workload(role, kind)


@given(parsers.parse('container "{role}" runs the {kind} image with auto-removal'))
def _(lab, role, kind):
    lab.workload(role, kind, auto_remove=True)


@given(parsers.parse('Tomcat in "{role}" has started'))
def _(lab, role):
    w = lab.docker.workloads[role]
    lab.docker.wait_started(w, lab.params.container_start_timeout_s)


@when(parsers.parse('"{role}" is stopped'))
def _(lab, role):
    lab.docker.stop(lab.docker.workloads[role])


@then("the Docker daemon answers on its API")
def _(lab, evidence):
    version = lab.docker.ping()
    evidence.check(
        bool(version.get("Version")),
        "Docker API",
        expected="a version answer",
        found={k: version.get(k) for k in ("Version", "ApiVersion", "Os", "KernelVersion")},
        how=f"GET /version on {lab.docker.base_url}",
    )


@then(parsers.parse('Docker\'s cgroup driver is "{driver}"'))
def _(lab, evidence, driver):
    found = lab.docker.info().get("CgroupDriver")
    evidence.equal("Docker cgroup driver", expected=driver, found=found, how="docker info: CgroupDriver")


@then(parsers.parse('the kernel release seen inside "{role}" is the host\'s kernel release'))
def _(lab, evidence, role):
    rc, inside = lab.docker.exec(lab.docker.workloads[role], "uname", "-r")
    evidence.equal(
        "kernel release",
        expected=lab.target.facts.kernel,
        found=inside.strip(),
        how=f"uname -r on the host and in {lab.docker.workloads[role].name}",
    )


@then(parsers.parse("the {kind} image is present on the host"))
def _(lab, evidence, kind):
    ref = lab.image_ref(kind)
    img = lab.docker.image(ref)
    evidence.check(
        img is not None,
        f"{kind} image",
        expected=f"{ref} present",
        found=img["Id"] if img else "absent",
        how=f"docker image inspect {ref}",
    )


@then(parsers.parse('the {kind} image sets "{name}" to "{value}"'))
def _(lab, evidence, kind, name, value):
    ref = lab.image_ref(kind)
    img = lab.docker.image(ref)
    env = dict(e.split("=", 1) for e in ((img or {}).get("Config") or {}).get("Env") or [])
    evidence.equal(
        f"{name} in {ref}",
        expected=value,
        found=env.get(name) if img else f"{ref} absent",
        how=f"docker image inspect {ref}: Config.Env",
    )


@then(parsers.parse('no container "{role}" remains on the host'))
def _(lab, evidence, role):
    name = lab.docker.container_name(role)
    gone = lab.docker.wait_gone(name, timeout=15)
    evidence.check(
        gone,
        f"container {name}",
        expected="removed",
        found="removed" if gone else "still present",
        how=f"docker inspect {name} after docker stop",
    )


@then(parsers.parse('"{path}" exists in "{role}"'))
def _(lab, evidence, path, role):
    w = lab.docker.workloads[role]
    rc, out = lab.docker.exec(w, "ls", "-l", path)
    evidence.check(
        rc == 0,
        f"{path} in {w.name}",
        expected="exists",
        found=out.strip() or f"ls exit {rc}",
        how=f"docker exec {w.name} ls -l {path}",
    )


@then(parsers.parse('the mytc image holds the build context\'s ROOT.war at "{path}"'))
def _(lab, evidence, path):
    ctx_war = lab.target.read_bytes(f"{lab.params.context_dir}/ROOT.war")
    img_war = lab.docker.image_file(lab.params.mytc_image, path)
    evidence.check(
        ctx_war is not None and ctx_war == img_war,
        f"{path} in {lab.params.mytc_image}",
        expected=f"sha256 {app.sha256(ctx_war)}" if ctx_war else "the context's ROOT.war (absent)",
        found=f"sha256 {app.sha256(img_war)}" if img_war else "absent",
        how=f"docker cp {lab.params.mytc_image}:{path} vs {lab.params.context_dir}/ROOT.war",
    )


@then("the mytc image's layers start with those of the base Tomcat image")
def _(lab, evidence):
    mytc, base = lab.params.mytc_image, lab.params.tomcat_image
    found = app.layered_on(lab.docker.image(mytc), lab.docker.image(base))
    evidence.check(found["built FROM the base"] is True, f"{mytc} on {base}",
                   expected=f"the layers of {base}, in order, then those of the Dockerfile", found=found,
                   how=f"docker image inspect {mytc} {base}: RootFS.Layers and Size")
