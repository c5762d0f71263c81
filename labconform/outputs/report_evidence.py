"""A claim's evidence in the report: values as what they are, long text folded, timing charts and counts
as inline SVG and bars, HTTP exchanges, rows of samples; every value from the run HTML-escaped."""

from __future__ import annotations

import html
import json
import statistics
from typing import Any

MARK = {True: "\u2714", False: "\u2718", None: "\u2139"}  # check, cross, info
FOLD_LINES = 12
FOLD_CHARS = 1200


def e(value: Any) -> str:
    """HTML-escape anything (attributes too: quotes are escaped)."""
    return html.escape(value if isinstance(value, str) else str(value), quote=True)


def _fold(text: str, label: str = "") -> str:
    """Short text in a <pre>; long text folded, with its size said, never cut."""
    n_lines = text.count("\n") + 1
    if n_lines <= FOLD_LINES and len(text) <= FOLD_CHARS:
        return f'<pre>{e(text)}</pre>'
    first = text.strip().splitlines()[0][:100] if text.strip() else ""
    what = f"{label}: " if label else ""
    return (f'<details class="fold"><summary>{e(what)}<code>{e(first)}</code> \u2026 '
            f'<span class="size">{n_lines} lines, {len(text)} characters: show all</span></summary>'
            f'<pre>{e(text)}</pre></details>')


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))


def value(v: Any, label: str = "") -> str:
    """A value of the evidence, shown as what it is: text, a number, a small table, or JSON."""
    if v is None:
        return '<span class="none">none</span>'
    if isinstance(v, bool):
        return f"<code>{'true' if v else 'false'}</code>"
    if isinstance(v, (int, float)):
        return f"<code>{e(v)}</code>"
    if isinstance(v, str):
        if "\n" not in v.rstrip("\n") and len(v) <= 160:
            return f"<code>{e(v)}</code>" if v else '<span class="none">(empty)</span>'
        return _fold(v, label)
    if _tabular(v):
        rows = "".join(f"<tr><th>{e(k)}</th><td>{value(x)}</td></tr>" for k, x in v.items())
        return f'<table class="kv">{rows}</table>'
    if isinstance(v, list) and len(v) <= 24 and all(_is_scalar(x) and len(str(x)) <= 60 for x in v):
        return "<code>[" + ", ".join(e(json.dumps(x)) for x in v) + "]</code>"
    return _fold(json.dumps(v, indent=2, default=str), label)


def _small_list(x: Any) -> bool:
    return isinstance(x, list) and len(x) <= 12 and all(_is_scalar(i) for i in x)


def _tabular(v: Any, depth: int = 0) -> bool:
    """A mapping small and shallow enough to read as a table of name and value (nested up to 3 deep)."""
    return (isinstance(v, dict) and bool(v) and len(v) <= 16 and depth < 3
            and all(isinstance(k, str) for k in v)
            and all((_is_scalar(x) and len(str(x)) <= 400) or _small_list(x) or _tabular(x, depth + 1)
                    for x in v.values()))


def _numbers(v: Any) -> list[float] | None:
    if isinstance(v, list) and len(v) >= 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
        return [float(x) for x in v]
    return None


def chart(samples: list[float], unit: str, title: str = "") -> str:
    """A small bar chart of timing samples, with the median as a line: drawn inline in SVG."""
    w, h, pad = 300, 84, 16
    top = max(samples) or 1.0
    bw = (w - 2 * pad) / len(samples)
    med = statistics.median(samples)
    bars = []
    for i, s in enumerate(samples):
        bh = max(1.0, (h - 2 * pad) * s / top)
        x, y = pad + i * bw, h - pad - bh
        bars.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(bw - 2, 1):.1f}" height="{bh:.1f}">'
                    f'<title>sample {i + 1}: {s:g} {e(unit)}</title></rect>')
    my = h - pad - (h - 2 * pad) * med / top
    return (
        f'<figure class="chart"><svg role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{e(title or "samples")}: {len(samples)} samples, '
        f'median {med:g} {e(unit)}, max {top:g} {e(unit)}</title>'
        f'<line class="axis" x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}"/>'
        + "".join(bars)
        + f'<line class="median" x1="{pad}" y1="{my:.1f}" x2="{w - pad}" y2="{my:.1f}"/>'
        f'<text x="{pad}" y="11">{top:g} {e(unit)}</text><text x="{pad - 2}" y="{h - pad + 4}" '
        f'text-anchor="end">0</text>'
        f'<text x="{pad}" y="{h - 3}">1</text><text x="{w - pad}" y="{h - 3}" text-anchor="end">{len(samples)}</text>'
        f'</svg><figcaption>{len(samples)} samples in order: min {min(samples):g}, median {med:g} '
        f'(dashed line), max {top:g} {e(unit)}</figcaption></figure>'
    )


def balance(counts: dict[str, Any], title: str) -> str:
    """Requests answered per backend (or any count per name), as horizontal bars with the numbers."""
    total = sum(v for v in counts.values() if isinstance(v, (int, float))) or 1
    top = max((v for v in counts.values() if isinstance(v, (int, float))), default=1) or 1
    rows = []
    for name, n in counts.items():
        pct = 100 * n / total if isinstance(n, (int, float)) else 0
        width = 100 * n / top if isinstance(n, (int, float)) else 0
        rows.append(f'<tr><th>{e(name)}</th><td class="bar"><span style="width:{width:.0f}%"></span></td>'
                    f'<td>{e(n)} ({pct:.0f} %)</td></tr>')
    return f'<table class="balance" aria-label="{e(title)}">{"".join(rows)}</table>'


def response(r: dict[str, Any]) -> str:
    """An HTTP exchange: request line, status, time, headers and body."""
    status = r.get("status")
    cls = "ok" if isinstance(status, int) and status < 400 else "bad"
    head = (f'<div class="http"><div><code>{e(r.get("request", ""))}</code> \u2192 '
            f'<b class="{cls}">{e(status if status is not None else r.get("error", "no answer"))}</b>')
    if r.get("elapsed_ms") is not None:
        head += f' in {e(r["elapsed_ms"])} ms'
    head += "</div>"
    rest = {k: v for k, v in r.items() if k not in ("request", "status", "elapsed_ms", "body")}
    body = r.get("body")
    out = head + (value(rest) if rest else "")
    if body is not None:
        out += f"<div class='label'>body</div>{_fold(body, 'body') if body else '<span class=none>(empty)</span>'}"
    return out + "</div>"


def kind_of(key: str, v: Any) -> str:
    """How a detail without an explicit kind is drawn, from its key and value (what results.json files
    written before details had kinds rely on): one of observation.KINDS."""
    nums = _numbers(v)
    if isinstance(v, dict) and {"request"} <= set(v) and ("status" in v or "error" in v):
        return "http"
    if isinstance(v, list) and v and all(isinstance(x, dict) and "request" in x for x in v):
        return "http"
    if nums is not None and (key.endswith(("_ms", "_s")) or "sample" in key or "timing" in key):
        return "chart:" + ("ms" if key.endswith("_ms") else ("s" if key.endswith("_s") else key.partition("_")[2]))
    if isinstance(v, dict) and v and any(w in key for w in ("count", "balance", "per_pod", "backends")) \
            and all(isinstance(x, (int, float)) for x in v.values()):
        return "balance"
    if isinstance(v, list) and v and all(isinstance(x, dict) for x in v) and len(v) <= 50:
        return "rows"
    return "value"


def detail(key: str, v: Any, kind: str) -> str:
    """One detail drawn as its kind says; a kind this report does not know, or that does not fit the value,
    shows the value as it is."""
    label = f'<div class="label">{e(key)}</div>'
    if kind == "http" and isinstance(v, dict):
        return label + response(v)
    if kind == "http" and isinstance(v, list) and all(isinstance(x, dict) for x in v):
        return label + "".join(response(x) for x in v)
    if kind.startswith("chart:") and (nums := _numbers(v)) is not None:
        return label + chart(nums, kind.partition(":")[2], key)
    if kind == "balance" and isinstance(v, dict) and v:
        return label + balance(v, key)
    if kind == "rows" and isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
        return label + table(v)
    return label + value(v, key)


def details(d: dict[str, Any], kinds: dict[str, str] | None = None) -> str:
    """An observation's details: HTTP responses, timing samples, counts, command output, the rest; each drawn
    as the observation's `kinds` says, else as its key and value suggest."""
    return "".join(detail(key, v, (kinds or {}).get(key) or kind_of(key, v)) for key, v in d.items())


def table(rows: list[dict[str, Any]]) -> str:
    """Rows of samples as a table; numeric columns in ms or s also get a chart."""
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    head = "".join(f"<th>{e(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{value(r.get(c))}</td>" for c in cols) + "</tr>" for r in rows)
    charts = ""
    for c in cols:
        nums = _numbers([r.get(c) for r in rows])
        if nums is not None and c.endswith(("_ms", "_s")):
            charts += chart(nums, "ms" if c.endswith("_ms") else "s", c)
    return f'<div class="scroll"><table class="rows"><tr>{head}</tr>{body}</table></div>{charts}'


def observation(ob: dict[str, Any]) -> str:
    ok = ob.get("ok")
    cls = {True: "ok", False: "bad", None: "note"}.get(ok, "note")
    rows = []
    if ob.get("expected") is not None or ok is not None:
        rows.append(f"<tr><th>expected</th><td>{value(ob.get('expected'), 'expected')}</td></tr>")
    rows.append(f"<tr><th>found</th><td>{value(ob.get('found'), 'found')}</td></tr>")
    rows.append(f"<tr><th>how</th><td><code class='how'>{e(ob.get('how', ''))}</code></td></tr>")
    extra = f'<div class="details">{details(ob["details"], ob.get("kinds"))}</div>' if ob.get("details") else ""
    return (f'<div class="ob {cls}"><div class="what"><span class="mark">{MARK.get(ok, "?")}</span> '
            f'{e(ob.get("what", ""))}</div><table class="ev">{"".join(rows)}</table>{extra}</div>')

