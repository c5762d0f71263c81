"""Judging the Docker engine as the document's claims say: its API answers, its cgroup driver, the kernel seen
in a container, its images (present, their environment, the mytc image's ROOT.war and layers) and the run's
containers (one gone after docker stop, a path in one). The reads are labconform.docker.containers's; the rules are
here, so that the steps only parse, call and record."""

from __future__ import annotations

from labconform.docker.containers import DockerLab, Workload
from labconform.http import app
from labconform.judged import Judged
from labconform.transport.target import Target


def judged_api(docker: DockerLab) -> Judged:
    """The engine answers GET /version with a version."""
    version = docker.ping()
    return Judged(bool(version.get("Version")), "Docker API", "a version answer",
                  {k: version.get(k) for k in ("Version", "ApiVersion", "Os", "KernelVersion")},
                  f"GET /version on {docker.base_url}")


def judged_cgroup_driver(docker: DockerLab, driver: str) -> Judged:
    found = docker.info().get("CgroupDriver")
    return Judged(found == driver, "Docker cgroup driver", driver, found, "docker info: CgroupDriver")


def judged_kernel_inside(docker: DockerLab, w: Workload, host_kernel: str) -> Judged:
    """A container runs on the host's kernel: `uname -r` inside it is the host's release."""
    _, inside = docker.exec(w, "uname", "-r")
    return Judged(host_kernel == inside.strip(), "kernel release", host_kernel, inside.strip(),
                  f"uname -r on the host and in {w.name}")


def judged_image_present(docker: DockerLab, kind: str, ref: str) -> Judged:
    img = docker.image(ref)
    return Judged(img is not None, f"{kind} image", f"{ref} present", img["Id"] if img else "absent",
                  f"docker image inspect {ref}")


def judged_image_env(docker: DockerLab, ref: str, name: str, value: str) -> Judged:
    """The image's configuration sets the environment variable `name` to `value`."""
    img = docker.image(ref)
    env = dict(e.split("=", 1) for e in ((img or {}).get("Config") or {}).get("Env") or [])
    found = env.get(name) if img else f"{ref} absent"
    return Judged(found == value, f"{name} in {ref}", value, found, f"docker image inspect {ref}: Config.Env")


def judged_gone(docker: DockerLab, role: str, timeout: float = 15) -> Judged:
    """The run's container for `role` is removed (waited for, bounded: an auto-removed one goes after its stop)."""
    name = docker.container_name(role)
    gone = docker.wait_gone(name, timeout=timeout)
    return Judged(gone, f"container {name}", "removed", "removed" if gone else "still present",
                  f"docker inspect {name} after docker stop")


def judged_path_in(docker: DockerLab, w: Workload, path: str) -> Judged:
    rc, out = docker.exec(w, "ls", "-l", path)
    return Judged(rc == 0, f"{path} in {w.name}", "exists", out.strip() or f"ls exit {rc}",
                  f"docker exec {w.name} ls -l {path}")


def judged_war(t: Target, docker: DockerLab, context_dir: str, image: str, path: str) -> Judged:
    """The image holds, at `path`, the very ROOT.war of the build context (by SHA-256)."""
    ctx_war = t.read_bytes(f"{context_dir}/ROOT.war")
    img_war = docker.image_file(image, path)
    return Judged(ctx_war is not None and ctx_war == img_war, f"{path} in {image}",
                  f"sha256 {app.sha256(ctx_war)}" if ctx_war else "the context's ROOT.war (absent)",
                  f"sha256 {app.sha256(img_war)}" if img_war else "absent",
                  f"docker cp {image}:{path} vs {context_dir}/ROOT.war")


def judged_layered_on(docker: DockerLab, image: str, base: str) -> Judged:
    """`image` is the document's Dockerfile built FROM `base`: its layers begin with all of the base's, in order,
    and it adds as many as that Dockerfile makes (COPY ROOT.war: one), so an image rebuilt with more on top fails."""
    found = app.layered_on(docker.image(image), docker.image(base))
    want = app.filesystem_layers(app.dockerfile(base))
    return Judged(found["built FROM the base"] is True and found["layers added"] == want, f"{image} on {base}",
                  f"the layers of {base}, in order, then the {want} of the document's Dockerfile (COPY ROOT.war)",
                  found, f"docker image inspect {image} {base}: RootFS.Layers and Size")


def judged_ports(a: Workload, b: Workload, document_ports: tuple[int, ...] | list[int]) -> Judged:
    """Two of the run's containers publish their port 8080 on two different host ports (the document's
    ports beside them)."""
    return Judged(bool(a.port and b.port and a.port != b.port), "published host ports", "two different ports",
                  {a.name: a.port, b.name: b.port}, "docker port <container> 8080",
                  details={"document_ports": list(document_ports)})


def judged_memory(docker: DockerLab, w: Workload, limit: int) -> Judged:
    """The container uses under `limit` MiB, as docker stats counts it (usage less the page cache)."""
    mem = docker.memory_mib(w)
    return Judged(mem["usage_mib"] < limit, f"memory of {w.name}", f"< {limit} MiB", mem,
                  f"docker stats {w.name} (usage less page cache, as docker stats shows it)")
