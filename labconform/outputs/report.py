"""index.html: the conformance report of one run, one self-contained file made from its results document.

Everything the reader needs is inline (CSS, a little JS for the filters, SVG charts); nothing is
fetched, so the file opens from disk, from a CI artifact or from a mail. Every value from the run
is HTML-escaped; long outputs fold in <details>, none is cut.

python -m labconform.outputs.report RUN_FOLDER_OR_RESULTS_JSON [-o OUT.html]: render a stored run again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from labconform.outputs.exports import sections
from labconform.outputs.report_evidence import e
from labconform.outputs.report_sections import (
    LABEL,
    baseline_block,
    claim,
    filters,
    section_title,
    summary,
    waivers_block,
)
from labconform.results.document import VERDICTS, feature_path, load


def render(doc: dict[str, Any]) -> str:
    """The whole report as one HTML document."""
    secs = sections(doc)
    by_id = {c["id"]: c for c in doc["claims"]}
    body = []
    for feature_file, cs in secs:
        n = {v: sum(c["verdict"] == v for c in cs) for v in VERDICTS}
        small = " ".join(f'<span class="badge b-{v}">{n[v]} {LABEL[v]}</span>' for v in VERDICTS if n[v])
        body.append(
            f'<section class="feature" id="sec-{e(feature_file)}" data-section="{e(feature_file)}">'
            f'<h2>{section_title(feature_file, cs[0].get("feature", feature_file))} '
            f'<small>{e(feature_path(feature_file))}</small></h2><div class="secsum">{small}</div>'
            + "".join(claim(c, doc["run"]) for c in cs) + "</section>")
    run = doc["run"]
    status = (doc.get("gate") or {}).get("status") or ("passed" if run.get("exit_status") == 0 else "failed")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{e(status.upper())}: lab conformance, run {e(run.get('name', ''))}</title>"
        f"<style>{CSS}</style></head><body>"
        + summary(doc) + baseline_block(doc, by_id) + waivers_block(doc)
        + '<h2 id="claims-title">The document, section by section</h2>'
        + filters(secs, bool(doc.get("baseline")))
        + f'<main>{"".join(body)}</main>'
        + f"<footer>labconform {e(run.get('labconform_version', ''))}; results.json schema "
          f"{e(doc.get('schema_version', '?'))}; this file is self-contained and fetches nothing.</footer>"
        + f"<script>{JS}</script></body></html>\n"
    )


CSS = """
:root{--ok:#1a7f37;--bad:#c62828;--err:#8e24aa;--na:#6e7781;--wv:#b26a00;--bg:#fff;--fg:#1f2328;--mut:#eef1f4}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);
margin:0 auto;max-width:1200px;padding:0 16px 40px}
h1{margin:0;font-size:24px}h2{font-size:18px;margin:22px 0 8px}
h2 small{font-weight:normal;color:var(--na);font-size:12px}h3{font-size:14px;margin:10px 0 4px}
h4{margin:10px 0 4px;font-size:13px}code,pre{font:12px/1.4 ui-monospace,"DejaVu Sans Mono",monospace}
code{background:var(--mut);padding:0 3px;border-radius:3px;overflow-wrap:anywhere}
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:6px 8px;margin:2px 0;white-space:pre-wrap;
overflow-wrap:anywhere;max-height:none}
.banner{margin:16px 0 8px;padding:12px 16px;border-radius:6px;color:#fff}.banner p{margin:4px 0}
.s-passed{background:var(--ok)}.s-failed{background:var(--bad)}.banner code{color:#000}
.banner a{color:#fff}
.reasons{margin:6px 0 0;padding-left:20px}.tiles{display:flex;gap:8px;flex-wrap:wrap}
.tile{border:0;border-radius:6px;padding:6px 14px;color:#fff;cursor:pointer;font:inherit;min-width:110px;
text-align:left}
.tile b{display:block;font-size:22px}.b-passed{background:var(--ok);color:#fff}
.b-failed{background:var(--bad);color:#fff}.b-error{background:var(--err);color:#fff}
.b-not_applicable{background:var(--na);color:#fff}.b-waived{background:var(--wv);color:#fff}
.cols{display:flex;gap:16px;flex-wrap:wrap;margin-top:10px;align-items:flex-start}.cols table{flex:1 1 420px}
table{border-collapse:collapse}caption{text-align:left;font-weight:bold;padding:4px 0}
.facts th,.kv th,.ev th{text-align:left;vertical-align:top;padding:2px 10px 2px 0;white-space:nowrap;
color:#57606a;font-weight:600}
.facts td,.kv td,.ev td{padding:2px 0;vertical-align:top}.kv{margin:0}.kv th{font-weight:normal}
.none{color:var(--na);font-style:italic}.bad{color:var(--bad)}.ok{color:var(--ok)}
#baseline,#waivers{border:1px solid #d0d7de;border-radius:6px;padding:4px 14px;margin:12px 0}
.changes{list-style:none;padding:0}.changes li{padding:2px 0}
.more{display:inline}.more>summary{display:inline;cursor:pointer;text-decoration:underline}
.chg{font-size:11px;padding:1px 6px;border-radius:8px;background:var(--mut)}
.chg-regressed{color:var(--bad);font-weight:bold}.chg.chg-regressed{background:var(--bad);color:#fff}
.chg-fixed{color:var(--ok)}.chg.chg-fixed{background:var(--ok);color:#fff}.chg-still_failing{color:#8a4600}
#filters{position:sticky;top:0;z-index:2;background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;
padding:6px 10px;display:flex;gap:12px;flex-wrap:wrap;align-items:center}
#filters label{white-space:nowrap}#f-count{color:#57606a;margin-left:auto}.feature{margin-top:8px}
.secsum{margin:-4px 0 6px}.secsum .badge{font-size:11px}
.claim{border:1px solid #d0d7de;border-left:6px solid var(--na);border-radius:4px;margin:6px 0;background:#fff}
.v-passed{border-left-color:var(--ok)}.v-failed{border-left-color:var(--bad)}
.v-error{border-left-color:var(--err)}.v-waived{border-left-color:var(--wv)}
.claim>details>summary{cursor:pointer;padding:6px 10px;list-style-position:outside}
.claim summary .scn{font-weight:600}.meta{color:#57606a;font-size:12px;margin-left:6px}
.meta span{margin-right:6px}
.badge{display:inline-block;min-width:92px;text-align:center;border-radius:10px;padding:0 8px;font-size:12px;
font-weight:600}
.cid{font-size:12px}.imp-high{color:var(--bad)}.body{padding:2px 12px 10px 16px;border-top:1px solid var(--mut)}
.why{color:#57606a;font-style:italic;margin:6px 0}.steps{list-style:none;padding:0;margin:6px 0;font-size:13px}
.steps .mark{display:inline-block;width:16px}.st-passed .mark{color:var(--ok)}
.st-failed .mark,.st-error .mark{color:var(--bad)}.st-skipped,.st-not_run{color:var(--na)}
.ob{border-left:3px solid var(--na);padding:4px 10px;margin:6px 0;background:#fafbfc}
.ob.ok{border-left-color:var(--ok)}.ob.bad{border-left-color:var(--bad);background:#fff5f5}
.ob .what{font-weight:600}.ob.ok .mark{color:var(--ok)}.ob.bad .mark{color:var(--bad)}.ev{width:100%}
.ev td{width:100%}.label{font-size:12px;color:#57606a;margin-top:6px}.fold>summary{cursor:pointer;color:#0969da}
.fold .size{color:#57606a;font-size:12px}.http{border:1px dashed #d0d7de;padding:4px 8px;margin:4px 0}
.http b.ok{color:var(--ok)}.http b.bad{color:var(--bad)}.chart svg{background:#fff;border:1px solid #d0d7de}
.chart rect{fill:#0969da}.chart .median{stroke:var(--bad);stroke-dasharray:4 3}.chart .axis{stroke:#8c959f}
.chart text{font:10px sans-serif;fill:#57606a}.chart{margin:4px 0}
.chart figcaption{font-size:12px;color:#57606a}.balance td.bar{width:240px}
.balance td.bar span{display:block;height:10px;background:#0969da}.balance th{padding-right:8px}
.rows{font-size:12px}.rows th,.rows td{border:1px solid #d0d7de;padding:2px 6px;text-align:left}
.scroll{overflow-x:auto}.cmds{margin:2px 0;padding-left:18px}.waiver{color:#8a4600}
footer{margin-top:30px;color:#57606a;font-size:12px}[hidden]{display:none!important}
@media print{#filters{display:none}}
"""

JS = """
(function(){
  var boxes=[].slice.call(document.querySelectorAll('#filters input[data-verdict]'));
  var sec=document.getElementById('f-section'),chg=document.getElementById('f-change');
  var txt=document.getElementById('f-text');
  var claims=[].slice.call(document.querySelectorAll('article.claim'));
  function apply(){
    var on={};boxes.forEach(function(b){on[b.dataset.verdict]=b.checked;});
    var s=sec.value,c=chg?chg.value:'',q=txt.value.trim().toLowerCase(),n=0;
    claims.forEach(function(a){
      var show=on[a.dataset.verdict]&&(!s||a.dataset.section===s)&&(!c||a.dataset.change===c)
        &&(!q||a.dataset.text.indexOf(q)>=0);
      a.hidden=!show;if(show)n++;});
    [].forEach.call(document.querySelectorAll('section.feature'),function(f){
      f.hidden=!f.querySelector('article.claim:not([hidden])');});
    document.getElementById('f-count').textContent='showing '+n+' of '+claims.length+' claims';
  }
  boxes.forEach(function(b){b.addEventListener('change',apply);});
  [sec,chg,txt].forEach(function(el){if(el)el.addEventListener('input',apply);});
  [].forEach.call(document.querySelectorAll('.tile[data-only]'),function(t){t.addEventListener('click',function(){
    var only=t.dataset.only,all=boxes.every(function(b){return b.checked===(b.dataset.verdict===only);});
    boxes.forEach(function(b){b.checked=all||b.dataset.verdict===only;});apply();
    document.getElementById('claims-title').scrollIntoView();});});
  function openAll(v){claims.forEach(function(a){a.querySelector('details').open=v;});}
  document.getElementById('f-open').addEventListener('click',function(){openAll(true);});
  document.getElementById('f-close').addEventListener('click',function(){openAll(false);});
  function openHash(){var a=location.hash&&document.getElementById(location.hash.slice(1));
    if(!a||!a.classList.contains('claim'))return;
    if(a.hidden){boxes.forEach(function(b){b.checked=true;});sec.value='';if(chg)chg.value='';txt.value='';apply();}
    a.querySelector('details').open=true;a.scrollIntoView();}
  window.addEventListener('hashchange',openHash);
  apply();openHash();
})();
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m labconform.outputs.report", description=__doc__.splitlines()[0])
    ap.add_argument("run", help="a run folder or its results.json")
    ap.add_argument("-o", "--output", help="where to write (default: index.html beside results.json)")
    args = ap.parse_args(argv)
    doc = load(args.run)
    src = Path(args.run)
    out = Path(args.output) if args.output else (src if src.is_dir() else src.parent) / "index.html"
    out.write_text(render(doc))
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
