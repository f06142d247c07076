"""A run's page (HTML, self-contained: no CDN, no external font, script or stylesheet) with its
timeline picture (SVG inline, and the same SVG as a PNG beside it for slides), and
reports/index.html, every run report of that directory.

Jinja2 renders the page and the SVG from the picture's data (loadtest.picture), escaping
every value; vl-convert turns the same SVG into a PNG with no browser and no network.
"""

import json
import os
from pathlib import Path

import jinja2
import vl_convert
from markupsafe import Markup

from loadtest.lab import LATEST_REPORT
from loadtest.picture import picture, run_of, timeline

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("loadtest", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
PNG_SCALE = 1.5  # the timeline at 1.5x: sharp on a projector, small enough to write fast
INDEX_CACHE = ".index-cache.json"  # per run report: (mtime, size) -> its index row


def render(document):
    """(html, svg) of a run's page, as text."""
    svg = timeline_svg(document)
    html = TEMPLATES.get_template("run.html.j2").render(p=picture(document), svg=Markup(svg))
    return html, svg


def timeline_svg(document):
    """The timeline picture, as SVG text (the page shows it; its PNG is the same picture)."""
    return TEMPLATES.get_template("timeline.svg.j2").render(p=timeline(document))


def timeline_png(document):
    return vl_convert.svg_to_png(timeline_svg(document), scale=PNG_SCALE)


def write_run_page(document, json_path):
    """Writes <stem>.html and <stem>.png beside the run's JSON; returns both paths."""
    json_path = Path(json_path)
    html, svg = render(document)
    html_path, png_path = json_path.with_suffix(".html"), json_path.with_suffix(".png")
    html_path.write_text(html)
    png_path.write_bytes(vl_convert.svg_to_png(svg, scale=PNG_SCALE))  # timeline_png, from the SVG at hand
    return html_path, png_path


def index_row(document, json_path):
    """What the index lists of one run, or None when the JSON is not a run report."""
    if not isinstance(document, dict) or not isinstance(document.get("verdict"), dict) or "summary" not in document:
        return None
    totals = document["summary"].get("totals") or {}
    run, verdict = run_of(document), document["verdict"]
    fault = document.get("fault")
    page = Path(json_path).with_suffix(".html")
    return {
        **{name: run[name] for name in ("run_id", "started_at", "code", "process_model", "scenario", "stack")},
        "fault": (fault.get("fault") if isinstance(fault, dict) else fault) or "none",
        "kind": verdict["kind"],
        "success": verdict["success"],
        "misrouted": totals.get("misrouted"),
        "sent": totals.get("sent"),
        "failed": totals.get("failed"),
        "json": Path(json_path).name,
        "page": page.name if page.exists() else None,
    }


def write_index(report_dir):
    """Rewrites report_dir/index.html: every *.json run report in report_dir (not its
    subdirectories), newest first. Rows are cached by file name, mtime and size in
    report_dir/.index-cache.json, so a run reads only the reports that are new or changed."""
    report_dir = Path(report_dir)
    cache_path = report_dir / INDEX_CACHE
    try:
        cache = json.loads(cache_path.read_text())
    except (OSError, ValueError):
        cache = {}
    fresh, rows = {}, []
    for path in sorted(report_dir.glob("*.json")):
        if path.name.startswith(".") or path.name == LATEST_REPORT or not path.is_file():
            continue
        stat = path.stat()
        stamp = [stat.st_mtime_ns, stat.st_size, path.with_suffix(".html").exists()]
        cached = cache.get(path.name)
        if cached and cached[0] == stamp:
            row = cached[1]
        else:
            try:
                row = index_row(json.loads(path.read_text()), path)
            except (OSError, ValueError):
                row = None  # being written, or not JSON: listed next time
        fresh[path.name] = [stamp, row]
        if row is not None:
            rows.append(row)
    rows.sort(key=lambda r: (r["started_at"] or "", r["json"]), reverse=True)
    index = report_dir / "index.html"
    index.write_text(TEMPLATES.get_template("index.html.j2").render(runs=rows))
    partial = cache_path.with_name(f"{INDEX_CACHE}.{os.getpid()}")
    partial.write_text(json.dumps(fresh))
    partial.replace(cache_path)
    return index
