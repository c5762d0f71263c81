"""The Hello application and the mytc build context, with the document's values."""

from __future__ import annotations

import hashlib
import io
import re
import xml.etree.ElementTree as ET
import zipfile

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
