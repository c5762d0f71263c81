"""Steps about the Hello application and the mytc build context on the lab host."""

from __future__ import annotations

from pytest_bdd import parsers, then

from labconform import app

DOCUMENT_FILES = {"ROOT/index.jsp": app.INDEX_JSP, "ROOT/META-INF/context.xml": app.CONTEXT_XML}


def context_war(lab, evidence) -> dict[str, str]:
    path = f"{lab.params.context_dir}/ROOT.war"
    data = lab.target.read_bytes(path)
    evidence.check(
        data is not None,
        path,
        expected="present",
        found="present" if data else "absent",
        how=f"read {path} on the lab host",
    )
    return app.war_files(data)


@then(parsers.parse('ROOT.war in the mytc build context holds exactly the files "{names}"'))
def _(lab, evidence, names):
    files = context_war(lab, evidence)
    evidence.equal(
        "files in ROOT.war",
        expected=sorted(n.strip() for n in names.split(",")),
        found=sorted(files),
        how="unzip -l ROOT.war",
    )


@then(parsers.parse('"{name}" in ROOT.war declares a Context with the empty path'))
def _(lab, evidence, name):
    xml = context_war(lab, evidence).get(name)
    evidence.equal(
        f"Context path in {name}",
        expected="",
        found=app.context_path(xml) if xml else f"{name} absent",
        how=f"parse {name} from ROOT.war",
        content=xml,
    )


@then(parsers.parse('"{name}" in ROOT.war is the document\'s page'))
def _(lab, evidence, name):
    jsp = context_war(lab, evidence).get(name)
    evidence.check(
        app.same_text(jsp, app.INDEX_JSP),
        f"{name} in ROOT.war",
        expected=app.INDEX_JSP,
        found=jsp if jsp is not None else "absent",
        how=f"unzip -p ROOT.war {name}",
    )


@then(parsers.parse('"{name}" in ROOT.war declares contentType "{ctype}" and session "{session}"'))
def _(lab, evidence, name, ctype, session):
    directive = app.page_directive(context_war(lab, evidence).get(name) or "")
    evidence.equal(
        f"page directive of {name}",
        expected={"contentType": ctype, "session": session},
        found={k: directive.get(k) for k in ("contentType", "session")},
        how="<%@page ...%> of the JSP",
    )


@then(parsers.parse('"{rel}" in the build context is the document\'s {what}'))
def _(lab, evidence, rel, what):
    path = f"{lab.params.context_dir}/{rel}"
    text = lab.target.read_text(path)
    evidence.check(
        app.same_text(text, DOCUMENT_FILES[rel]),
        path,
        expected=DOCUMENT_FILES[rel],
        found=text if text is not None else "absent",
        how=f"cat {path}",
    )


@then("ROOT.war in the build context is made of those two files")
def _(lab, evidence):
    files = context_war(lab, evidence)
    root = f"{lab.params.context_dir}/ROOT"
    same = {name: app.same_text(files.get(name), lab.target.read_text(f"{root}/{name}")) for name in app.WAR_ENTRIES}
    evidence.check(
        all(same.values()) and sorted(files) == sorted(app.WAR_ENTRIES),
        f"ROOT.war against {root}/",
        expected={"entries": sorted(app.WAR_ENTRIES), "same as ROOT/": True},
        found={"entries": sorted(files), "same as ROOT/": same},
        how=f"each entry of ROOT.war compared with the file under {root}/",
    )


@then("the Dockerfile in the build context is the document's, built FROM the base Tomcat image")
def _(lab, evidence):
    path = f"{lab.params.context_dir}/Dockerfile"
    want = app.dockerfile(lab.params.tomcat_image)
    text = lab.target.read_text(path)
    evidence.check(
        app.same_text(text, want), path, expected=want, found=text if text is not None else "absent", how=f"cat {path}"
    )
