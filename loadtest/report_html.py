"""A run's page (HTML, self-contained: no CDN, no external font or script) with its timeline
picture (SVG inline, and a PNG beside it for slides), and reports/index.html, every run so far.

Jinja2 renders the page and the SVG from the picture's data (loadtest.picture), escaping
every value; vl-convert turns the same SVG into a PNG with no browser and no network.
"""

import json
from pathlib import Path

import jinja2
import vl_convert

from loadtest.picture import picture

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("loadtest", "templates"),
    autoescape=jinja2.select_autoescape(["html", "svg", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
RUNS_FILE = "runs.jsonl"  # one line per run: what the index lists


def write_run_page(document, json_path):
    """Writes <stem>.html and <stem>.png beside the run's JSON; returns both paths."""
    json_path = Path(json_path)
    data = picture(document)
    svg = TEMPLATES.get_template("timeline.svg.j2").render(p=data)
    html_path, png_path = json_path.with_suffix(".html"), json_path.with_suffix(".png")
    html_path.write_text(TEMPLATES.get_template("run.html.j2").render(p=data, svg=svg))
    png_path.write_bytes(vl_convert.svg_to_png(svg, scale=1.5))
    return html_path, png_path


def index_row(document, html_path):
    totals = document["summary"]["totals"]
    return {
        "started_at": document.get("started_at"),
        "code": document.get("code"),
        "process_model": document.get("process_model"),
        "scenario": document.get("scenario"),
        "stack": document.get("stack"),
        "fault": (document.get("fault") or {}).get("fault", "none"),
        "kind": document["verdict"]["kind"],
        "success": document["verdict"]["success"],
        "misrouted": totals["misrouted"],
        "sent": totals["sent"],
        "failed": totals["failed"],
        "page": Path(html_path).name,
    }


def write_index(report_dir, document=None, html_path=None):
    """Adds this run to reports/runs.jsonl and rewrites reports/index.html, newest first."""
    runs_file = Path(report_dir) / RUNS_FILE
    if document is not None:
        with runs_file.open("a") as runs:
            runs.write(json.dumps(index_row(document, html_path)) + "\n")
    rows = (
        [json.loads(line) for line in runs_file.read_text().splitlines() if line.strip()] if runs_file.exists() else []
    )
    index = Path(report_dir) / "index.html"
    index.write_text(TEMPLATES.get_template("index.html.j2").render(runs=rows[::-1]))
    return index
