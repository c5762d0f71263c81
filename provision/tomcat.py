"""Tomcat: the base image, the Hello build context (ROOT.war, Dockerfile) and the mytc image."""

from __future__ import annotations

from pathlib import Path

from labconform import app
from labconform.target import shell_line
from provision.core import Step, StepFailed
from provision.progress import run_watched

FILES = Path(__file__).parent / "files"
BUILDER = "/usr/local/libexec/labconform/build-tomcat-image.sh"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# labels on the mytc image: what it was built from, so a stale image is seen without running it
LABEL_WAR = "org.labconform.rootwar-sha256"
LABEL_DOCKERFILE = "org.labconform.dockerfile-sha256"
LABEL_BASE = "org.labconform.base-image-id"


def context_files(params) -> dict[str, bytes]:
    """Every file of the build context, keyed by its path on the lab host."""
    d = params.context_dir
    return {
        f"{d}/ROOT/index.jsp": app.INDEX_JSP.encode(),
        f"{d}/ROOT/META-INF/context.xml": app.CONTEXT_XML.encode(),
        f"{d}/ROOT.war": app.build_war(),
        f"{d}/Dockerfile": app.dockerfile(params.tomcat_image).encode(),
    }


def steps(ctx) -> list[Step]:
    p = ctx.params
    family = ctx.state.facts.family

    recipe = app.sha256((FILES / "build-tomcat-image.sh").read_bytes())[:16]

    def base_check() -> tuple[bool, str]:
        img = ctx.state.image(p.tomcat_image)
        if img is None:
            return False, f"{p.tomcat_image} absent"
        labels = (img.get("Config") or {}).get("Labels") or {}
        # an image this project built is rebuilt when its recipe changes; a pulled one is kept
        if "org.labconform.built-from" in labels and labels.get("org.labconform.recipe") != recipe:
            return False, f"{p.tomcat_image} was built by an older recipe"
        return True, f"{p.tomcat_image} present"

    # every value from the lab's parameters reaches the shell quoted (shell_line), shown as it runs
    def builder_command(recipe_id: str) -> str:
        return f"{shell_line('%s %s %s', BUILDER, p.tomcat_image, DEBIAN_MIRROR)} {recipe_id}"

    if family == "rhel" and p.tomcat_image == p.tomcat_upstream:
        base_cmds = (shell_line("docker pull %s", p.tomcat_upstream),)
    else:
        base_cmds = (
            shell_line("docker pull %s && docker tag %s %s", p.tomcat_upstream, p.tomcat_upstream, p.tomcat_image),
            f"or, with no registry: {builder_command('<recipe>')}",
        )

    def base_apply() -> None:
        t = ctx.target
        pulled = t.run("docker pull %s", p.tomcat_upstream, timeout=300)
        if pulled.ok:
            if p.tomcat_image != p.tomcat_upstream:
                t.run("docker tag %s %s", p.tomcat_upstream, p.tomcat_image)
            return
        ctx.say(
            f"no registry answered ({pulled.stderr.strip()[-120:]}); building {p.tomcat_image} from Debian's packages"
        )
        if family != "debian":
            raise StepFailed(f"cannot pull {p.tomcat_upstream} and no offline build for family {family}")
        ctx.sh("apt-get install -y debootstrap", quiet=True)
        ctx.put(BUILDER, (FILES / "build-tomcat-image.sh").read_bytes(), 0o755)
        run_watched(ctx, builder_command(recipe), "/var/log/labconform/tomcat-image.log", "Tomcat image build", 1200)

    base = Step(
        "Tomcat 10 base image",
        ("tomcat-01", "tomcat-02", "tomcat-03", "tomcat-04"),
        base_check,
        base_apply,
        base_cmds,
    )

    files = context_files(p)

    def context_check() -> tuple[bool, str]:
        differ = [path for path, data in files.items() if ctx.state.raw(path) != data]
        return (not differ, f"differ or missing: {' '.join(differ)}" if differ else f"{len(files)} files as expected")

    def context_apply() -> None:
        for path, data in files.items():
            if ctx.state.raw(path) != data:
                ctx.put(path, data)

    context = Step(
        "mytc build context (ROOT/, ROOT.war, Dockerfile)",
        ("hello-01", "hello-02", "hello-03", "mytc-01"),
        context_check,
        context_apply,
        (
            shell_line("mkdir -p %s", f"{p.context_dir}/ROOT/META-INF"),
            "write index.jsp and META-INF/context.xml",
            shell_line("(cd %s && zip -r ../ROOT.war *)", f"{p.context_dir}/ROOT"),
            f"write {p.context_dir}/Dockerfile",
        ),
    )

    war_sha = app.sha256(files[f"{p.context_dir}/ROOT.war"])
    dockerfile_sha = app.sha256(files[f"{p.context_dir}/Dockerfile"])

    def base_id() -> str:
        img = ctx.state.image(p.tomcat_image)
        return img["Id"] if img else "(absent)"

    def mytc_check() -> tuple[bool, str]:
        img = ctx.state.image(p.mytc_image)
        if img is None:
            return False, f"{p.mytc_image} absent"
        labels = (img.get("Config") or {}).get("Labels") or {}
        if labels.get(LABEL_WAR) != war_sha or labels.get(LABEL_DOCKERFILE) != dockerfile_sha:
            return False, f"{p.mytc_image} is stale against {p.context_dir}"
        if labels.get(LABEL_BASE) != base_id():
            return False, f"{p.mytc_image} was built on another {p.tomcat_image}"
        return True, f"{p.mytc_image} built from the current context and base image"

    def build_command() -> str:
        labels = (f"{LABEL_WAR}={war_sha}", f"{LABEL_DOCKERFILE}={dockerfile_sha}", f"{LABEL_BASE}={base_id()}")
        return shell_line("DOCKER_BUILDKIT=0 docker build -t %s --label %s --label %s --label %s %s",
                          p.mytc_image, *labels, p.context_dir)

    mytc = Step(
        "mytc image",
        (
            "mytc-02",
            "mytc-03",
            "mytc-04",
            "mytc-05",
            "mytc-06",
            "mytc-07",
            "rand-01",
            "rand-02",
            "rand-03",
            "multi-01",
            "multi-02",
        ),
        mytc_check,
        lambda: ctx.sh(build_command(), timeout=600),
        (shell_line("docker build -t %s %s  (labelled with what it was built from)", p.mytc_image, p.context_dir),),
    )
    return [base, context, mytc]
