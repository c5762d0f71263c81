"""Tomcat: the base image, the Hello build context (ROOT.war, Dockerfile) and the mytc image."""

from __future__ import annotations

from labconform.http import app
from labconform.transport.target import shell_line
from provision.core import (
    DEBIAN_MIRROR,
    LIBEXEC,
    Step,
    StepFailed,
    differing,
    image_labels,
    put_differing,
    put_script,
    recipe,
)
from provision.progress import run_watched

BUILDER_SCRIPT = "build-tomcat-image.sh"
BUILDER = f"{LIBEXEC}/{BUILDER_SCRIPT}"
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


def image_check(ctx, ref: str, stale, fine: str) -> tuple[bool, str]:
    """An image's (done, detail): absent, or what `stale` finds wrong in its labels, or `fine`."""
    img = ctx.state.image(ref)
    if img is None:
        return False, f"{ref} absent"
    wrong = stale(image_labels(img))
    return not wrong, wrong or fine


# the claims each step makes true
BASE_CLAIMS = ("tomcat-01", "tomcat-02", "tomcat-03", "tomcat-04")
CONTEXT_CLAIMS = ("hello-01", "hello-02", "hello-03", "mytc-01")
MYTC_CLAIMS = ("mytc-02", "mytc-03", "mytc-04", "mytc-05", "mytc-06", "mytc-07", "rand-01", "rand-02", "rand-03",
               "rand-04", "multi-01", "multi-02")


def steps(ctx) -> list[Step]:
    """The base image, the Hello build context, the mytc image built from both."""
    files = context_files(ctx.params)
    return [base_image_step(ctx), context_step(ctx, files), mytc_step(ctx, files)]


def base_image_step(ctx) -> Step:
    """The Tomcat 10 base image: pulled where a registry answers, else built from Debian's packages."""
    p = ctx.params
    family = ctx.state.facts.family
    built_by = recipe(BUILDER_SCRIPT)

    def stale(labels: dict[str, str]) -> str:
        # an image this project built is rebuilt when its recipe changes; a pulled one is kept
        if "org.labconform.built-from" in labels and labels.get("org.labconform.recipe") != built_by:
            return f"{p.tomcat_image} was built by an older recipe"
        return ""

    # every value from the lab's parameters reaches the shell quoted (shell_line), shown as it runs
    def builder_command(recipe_id: str) -> str:
        return f"{shell_line('%s %s %s', BUILDER, p.tomcat_image, DEBIAN_MIRROR)} {recipe_id}"

    if family == "rhel" and p.tomcat_image == p.tomcat_upstream:
        cmds = (shell_line("docker pull %s", p.tomcat_upstream),)
    else:
        cmds = (
            shell_line("docker pull %s && docker tag %s %s", p.tomcat_upstream, p.tomcat_upstream, p.tomcat_image),
            f"or, with no registry: {builder_command('<recipe>')}",
        )

    def apply() -> None:
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
        put_script(ctx, BUILDER_SCRIPT, BUILDER)
        run_watched(ctx, builder_command(built_by), "/var/log/labconform/tomcat-image.log", "Tomcat image build", 1200)

    return Step("Tomcat 10 base image", BASE_CLAIMS,
                lambda: image_check(ctx, p.tomcat_image, stale, f"{p.tomcat_image} present"), apply, cmds)


def context_step(ctx, files: dict[str, bytes]) -> Step:
    """/app/contexts/mytc: ROOT/, ROOT.war and the Dockerfile, as the document writes them."""
    p = ctx.params

    def check() -> tuple[bool, str]:
        differ = differing(ctx, files)
        return (not differ, f"differ or missing: {' '.join(differ)}" if differ else f"{len(files)} files as expected")

    cmds = (
        shell_line("mkdir -p %s", f"{p.context_dir}/ROOT/META-INF"),
        "write index.jsp and META-INF/context.xml",
        shell_line("(cd %s && zip -r ../ROOT.war *)", f"{p.context_dir}/ROOT"),
        f"write {p.context_dir}/Dockerfile",
    )
    return Step("mytc build context (ROOT/, ROOT.war, Dockerfile)", CONTEXT_CLAIMS, check,
                lambda: put_differing(ctx, files), cmds)


def mytc_step(ctx, files: dict[str, bytes]) -> Step:
    """The mytc image, built from the current context on the current base image (labels say both)."""
    p = ctx.params
    war_sha = app.sha256(files[f"{p.context_dir}/ROOT.war"])
    dockerfile_sha = app.sha256(files[f"{p.context_dir}/Dockerfile"])

    def base_id() -> str:
        img = ctx.state.image(p.tomcat_image)
        return img["Id"] if img else "(absent)"

    def stale(labels: dict[str, str]) -> str:
        if labels.get(LABEL_WAR) != war_sha or labels.get(LABEL_DOCKERFILE) != dockerfile_sha:
            return f"{p.mytc_image} is stale against {p.context_dir}"
        if labels.get(LABEL_BASE) != base_id():
            return f"{p.mytc_image} was built on another {p.tomcat_image}"
        return ""

    layers_wanted = app.filesystem_layers(files[f"{p.context_dir}/Dockerfile"].decode())

    def check() -> tuple[bool, str]:
        fine = f"{p.mytc_image} built from the current context and base image"
        done, detail = image_check(ctx, p.mytc_image, stale, fine)
        if not done:
            return done, detail
        added = app.layered_on(ctx.state.image(p.mytc_image), ctx.state.image(p.tomcat_image)).get("layers added")
        if added != layers_wanted:  # rebuilt with more on top: the labels it inherits do not say so
            return False, (f"{p.mytc_image} adds {added} layer(s) to {p.tomcat_image}; "
                           f"its Dockerfile makes {layers_wanted}")
        return done, detail

    def build_command() -> str:
        labels = (f"{LABEL_WAR}={war_sha}", f"{LABEL_DOCKERFILE}={dockerfile_sha}", f"{LABEL_BASE}={base_id()}")
        return shell_line("DOCKER_BUILDKIT=0 docker build -t %s --label %s --label %s --label %s %s",
                          p.mytc_image, *labels, p.context_dir)

    cmds = (shell_line("docker build -t %s %s  (labelled with what it was built from)", p.mytc_image, p.context_dir),)
    return Step("mytc image", MYTC_CLAIMS, check, lambda: ctx.sh(build_command(), timeout=600), cmds)
