"""Steps about the Hello application and the mytc build context on the lab host."""

from __future__ import annotations

from pytest_bdd import parsers, then

from labconform.http import app

DOCUMENT_FILES = {"ROOT/index.jsp": app.INDEX_JSP, "ROOT/META-INF/context.xml": app.CONTEXT_XML}


def context_war(lab, evidence) -> dict[str, str]:
    """The files of the build context's ROOT.war, once its presence is recorded (the claim ends when absent)."""
    present, files = app.read_war(lab.target, lab.params.context_dir)
    evidence.judged(present)
    return files


@then(parsers.parse('ROOT.war in the mytc build context holds exactly the files "{names}"'))
def _(lab, evidence, names):
    evidence.judged(app.judge_war_entries(context_war(lab, evidence), names.split(",")))


@then(parsers.parse('"{name}" in ROOT.war declares a Context with the empty path'))
def _(lab, evidence, name):
    evidence.judged(app.judge_context_path(context_war(lab, evidence), name))


@then(parsers.parse('"{name}" in ROOT.war is the document\'s page'))
def _(lab, evidence, name):
    jsp = context_war(lab, evidence).get(name)
    evidence.judged(app.judge_text(f"{name} in ROOT.war", jsp, app.INDEX_JSP, f"unzip -p ROOT.war {name}"))


@then(parsers.parse('"{name}" in ROOT.war declares contentType "{ctype}" and session "{session}"'))
def _(lab, evidence, name, ctype, session):
    evidence.judged(app.judge_page_directive(context_war(lab, evidence).get(name), name, ctype, session))


@then(parsers.parse('"{rel}" in the build context is the document\'s {what}'))
def _(lab, evidence, rel, what):
    path = f"{lab.params.context_dir}/{rel}"
    evidence.judged(app.judge_text(path, lab.target.read_text(path), DOCUMENT_FILES[rel], f"cat {path}"))


@then("ROOT.war in the build context is made of those two files")
def _(lab, evidence):
    files = context_war(lab, evidence)
    evidence.judged(app.judged_war_matches_root(lab.target, files, f"{lab.params.context_dir}/ROOT"))


@then("the Dockerfile in the build context is the document's, built FROM the base Tomcat image")
def _(lab, evidence):
    path = f"{lab.params.context_dir}/Dockerfile"
    evidence.judged(app.judge_text(path, lab.target.read_text(path), app.dockerfile(lab.params.tomcat_image),
                                   f"cat {path}"))
