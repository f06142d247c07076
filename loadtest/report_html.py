"""A run's page (HTML, self-contained: no CDN, no external font, script or stylesheet) with its
timeline picture inline (SVG), reports/index.html (every run report of that directory), and on
request the same picture as a PNG beside the page, for slides (`make png`: python -m
loadtest.report_html --png; not on a run's way to its verdict: it costs about half a second).

Jinja2 renders the page and the SVG from the picture's data (loadtest.picture), escaping
every value; its compiled templates are kept in var/jinja-cache (they cost more to compile than
to render). vl-convert turns the same SVG into a PNG with no browser and no network.
"""

import argparse
import json
import os
import sys
from pathlib import Path

import jinja2
from markupsafe import Markup

from loadtest import document as documents
from loadtest.lab import LATEST_REPORT, ROOT
from loadtest.picture import picture, timeline


def bytecode_cache():
    """Compiled templates, kept between runs in var/jinja-cache (none where it can't be written)."""
    folder = ROOT / "var" / "jinja-cache"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder)) if os.access(folder, os.W_OK) else None


TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("loadtest", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    bytecode_cache=bytecode_cache(),
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
    import vl_convert  # only when a PNG is asked for: its import alone costs a tenth of a second

    return vl_convert.svg_to_png(timeline_svg(document), scale=PNG_SCALE)


def write_run_page(document, json_path):
    """Writes <stem>.html beside the run's JSON; returns its path."""
    html_path = Path(json_path).with_suffix(".html")
    html_path.write_text(render(document)[0])
    return html_path


def write_png(json_path):
    """Writes <stem>.png, the run's timeline picture, beside the run's JSON; returns its path."""
    png_path = Path(json_path).with_suffix(".png")
    png_path.write_bytes(timeline_png(documents.load(json_path)))
    return png_path


def index_row(data, json_path):
    """What the index lists of one run (its JSON, as stored: loadtest.document), or None when the
    JSON is not a run report of this lab."""
    try:
        spec, run, checked = data["run"]["spec"], data["run"], data["checked"]
        verdict, totals, fault = checked["verdict"], checked["summary"]["totals"], spec["fault"]
    except (TypeError, KeyError):
        return None
    page = Path(json_path).with_suffix(".html")
    return {
        **{name: spec[name] for name in ("code", "process_model", "scenario", "stack")},
        "run_id": run["run_id"], "started_at": run["started_at"], "fault": fault,
        "kind": verdict["kind"], "success": verdict["success"],
        "misrouted": totals["misrouted"], "sent": totals["sent"], "failed": totals["failed"],
        "json": Path(json_path).name, "page": page.name if page.exists() else None,
    }  # fmt: skip


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


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m loadtest.report_html", description=__doc__)
    parser.add_argument("--png", action="store_true", required=True, help="write the timeline picture as a PNG")
    parser.add_argument("report", nargs="?", type=Path, help="a run's JSON (default: the last run's)")
    args = parser.parse_args(argv)
    path = args.report
    if path is None:
        latest = documents.latest()
        if latest is None:
            print("png: no run in reports/ yet; run make reproduce first", file=sys.stderr)
            return 2
        path = Path(latest.report_path)

        path = path if path.is_absolute() else ROOT / path
    if not path.is_file():
        print(f"png: no such report: {path}", file=sys.stderr)
        return 2
    print(f"Picture: {write_png(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
