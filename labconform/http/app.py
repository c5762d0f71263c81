"""The Hello application and the mytc build context, with the document's values."""

from __future__ import annotations

import hashlib
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from typing import TYPE_CHECKING

from labconform.judged import Judged

if TYPE_CHECKING:
    from labconform.http.client import Response
    from labconform.transport.target import Target

INDEX_JSP = (
    '<%@page contentType="text/plain" session="false"%><%\n'
    '  out.println("Hello, I am "+System.getenv("HOSTNAME"));\n'
    "%>\n"
)
CONTEXT_XML = '<?xml version="1.0" encoding="UTF-8"?><Context path=""/>\n'
URANDOM_EGD = "-Djava.security.egd=file:/dev/./urandom"
CATALINA_HOME = "/usr/local/tomcat"
WAR_IN_IMAGE = f"{CATALINA_HOME}/webapps/ROOT.war"
GREETING = "Hello, I am "

# the two entries of ROOT.war, as the document's `zip -r ../ROOT.war *` lays them out
WAR_ENTRIES = {"META-INF/context.xml": CONTEXT_XML, "index.jsp": INDEX_JSP}
# a fixed timestamp makes the archive byte-identical on every build, so rebuilding changes nothing
_ZIP_DATE = (2021, 8, 31, 0, 0, 0)


def media_type(content_type: str | None) -> str | None:
    """The media type of a Content-Type header, without its parameters (charset)."""
    return content_type.split(";", 1)[0].strip().lower() if content_type else None


def cookie_names(set_cookie: str | None) -> list[str]:
    """The names of the cookies a Set-Cookie header sets (repeated headers joined with ", "); their values
    are never kept: a session id is a credential."""
    return re.findall(r"(?:^|,\s*)([^=;,\s]+)=", set_cookie or "")


def layered_on(image: dict | None, base: dict | None) -> dict:
    """Whether `image` is built FROM `base` (its layers begin with all of the base's, in order), with
    both sizes beside it: the document's mytc is the base's size plus a tiny ROOT.war."""
    if image is None or base is None:
        return {"built FROM the base": False, "absent": [n for n, i in (("image", image), ("base", base)) if i is None]}
    mine, theirs = image["RootFS"].get("Layers") or [], base["RootFS"].get("Layers") or []
    return {"built FROM the base": bool(theirs) and mine[:len(theirs)] == theirs,
            "base layers": len(theirs), "image layers": len(mine),
            "layers added": len(mine) - len(theirs) if mine[:len(theirs)] == theirs else "not on the base",
            "first differing layer": next((i for i, (a, b) in enumerate(zip(mine, theirs, strict=False)) if a != b),
                                          None),
            "image size MB": round(image["Size"] / 1e6, 1), "base size MB": round(base["Size"] / 1e6, 1),
            "size added bytes": image["Size"] - base["Size"]}


def filesystem_layers(dockerfile_text: str) -> int:
    """How many layers a Dockerfile adds to its base: one per RUN, COPY or ADD (ENV, LABEL, CMD only change the
    image's configuration)."""
    return sum(1 for line in dockerfile_text.splitlines() if line.split(" ", 1)[0].upper() in ("RUN", "COPY", "ADD"))


def dockerfile(base_image: str) -> str:
    """The document's second Dockerfile: JAVA_OPTS baked in, ROOT.war copied to webapps."""
    return f"FROM {base_image}\nENV JAVA_OPTS={URANDOM_EGD}\nCOPY ROOT.war {WAR_IN_IMAGE}\n"


def build_war(entries: dict[str, str] = WAR_ENTRIES) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, entries[name])
    return buf.getvalue()


def war_files(data: bytes) -> dict[str, str]:
    """The files (not folders) inside a WAR and their text."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i).decode("utf-8", errors="replace") for i in zf.infolist() if not i.is_dir()}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def page_directive(jsp: str) -> dict[str, str]:
    """The attributes of a JSP's <%@page ...%> directive."""
    m = re.search(r"<%@\s*page\s+(.*?)%>", jsp, re.S)
    return dict(re.findall(r'(\w+)="([^"]*)"', m.group(1))) if m else {}


def context_path(xml: str) -> str | None:
    """The path attribute of a context.xml's root <Context>, or None when it is not a Context."""
    try:
        root = ET.fromstring(xml.strip())
    except ET.ParseError:
        return None
    return root.get("path") if root.tag == "Context" else None


def same_text(a: str | None, b: str | None) -> bool:
    """Equal but for trailing white space on lines and at the end (editors differ there)."""
    if a is None or b is None:
        return a is b
    return [line.rstrip() for line in a.strip().splitlines()] == [line.rstrip() for line in b.strip().splitlines()]


# --- judged (the steps record what these hand back) --------------------------------------------------------


def judge_headers(r: Response, media: str, source: str) -> Judged:
    """Whether the answer is 200 with the page directive's contentType (`media`, any charset) and, since the
    page says session="false", sets no cookie; a cookie's names are shown, never its value."""
    names = cookie_names(r.header("set-cookie"))
    found = {"Content-Type": r.header("content-type") or r.error or "none",
             "session": f"Set-Cookie names {', '.join(names)} (values not kept)" if names else "none set"}
    ok = r.status == 200 and media_type(r.header("content-type")) == media and not r.header("set-cookie")
    return Judged(ok, f"answer headers from {source}",
                  {"Content-Type": f"{media} (any charset)", "session": "none set"}, found,
                  f"GET {r.url}: the page directive's contentType and session=\"false\"",
                  details={"response": r.evidence()})


def judge_greetings_differ(a: str, b: str) -> Judged:
    """Whether two containers' answers are greetings naming two different hostnames."""
    return Judged(a != b and a.startswith(GREETING), "greetings of the two containers", "two different hostnames",
                  [a, b], "GET / on each")


def read_war(target: Target, context_dir: str) -> tuple[Judged, dict[str, str]]:
    """ROOT.war of the build context judged present, and its files ({} when it is absent)."""
    path = f"{context_dir}/ROOT.war"
    data = target.read_bytes(path)
    return (Judged(data is not None, path, "present", "present" if data else "absent", f"read {path} on the lab host"),
            war_files(data) if data is not None else {})


def judge_war_entries(files: dict[str, str], names: list[str]) -> Judged:
    """Whether ROOT.war holds exactly the files `names`."""
    want = sorted(n.strip() for n in names)
    return Judged(want == sorted(files), "files in ROOT.war", want, sorted(files), "unzip -l ROOT.war")


def judge_context_path(files: dict[str, str], name: str) -> Judged:
    """Whether the context.xml `name` of ROOT.war declares a Context with the empty path; its text goes with it."""
    xml = files.get(name)
    found = context_path(xml) if xml else f"{name} absent"
    return Judged(found == "", f"Context path in {name}", "", found, f"parse {name} from ROOT.war",
                  details={"content": xml})


def judge_text(what: str, text: str | None, want: str, how: str) -> Judged:
    """Whether a file's text is `want` but for trailing white space (`same_text`); None is an absent file."""
    return Judged(same_text(text, want), what, want, text if text is not None else "absent", how)


def judge_page_directive(jsp: str | None, name: str, ctype: str, session: str) -> Judged:
    """Whether the <%@page ...%> directive of the JSP `name` declares contentType `ctype` and session `session`."""
    directive = page_directive(jsp or "")
    found = {k: directive.get(k) for k in ("contentType", "session")}
    want = {"contentType": ctype, "session": session}
    return Judged(want == found, f"page directive of {name}", want, found, "<%@page ...%> of the JSP")


def judged_war_matches_root(target: Target, files: dict[str, str], root: str) -> Judged:
    """Whether ROOT.war holds the document's two entries and each is the file of the same name under `root`
    (the unpacked ROOT/ of the build context) on the lab host."""
    same = {name: same_text(files.get(name), target.read_text(f"{root}/{name}")) for name in WAR_ENTRIES}
    return Judged(all(same.values()) and sorted(files) == sorted(WAR_ENTRIES), f"ROOT.war against {root}/",
                  {"entries": sorted(WAR_ENTRIES), "same as ROOT/": True},
                  {"entries": sorted(files), "same as ROOT/": same},
                  f"each entry of ROOT.war compared with the file under {root}/")
