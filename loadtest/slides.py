"""The workshop's slides: one self-contained HTML file, written by `make slides` (into dist/, not
kept in git: it embeds the run's picture) from the stored runs and the lab's own files (the
bug's lines, a run's picture, the fix's diff, the twelve-factor twist, daemon mode's
configuration and cost); no font, script or image is fetched, so it opens from disk with no
network. `--pdf` also prints it to PDF with a headless Chromium.

    python -m loadtest.slides [--out PATH] [--pdf PATH]
"""

import argparse
import base64
import html
import shutil
import subprocess
import sys
from pathlib import Path

from loadtest import docs, document, phrasebook

SLIDES = docs.ROOT / "dist" / "slides.html"
PICTURE = docs.ROOT / "docs" / "buggy-run.png"
# The Apache lines of daemon mode, as `make show-daemon-config` prints them (apache/lab.conf).
DAEMON_CONFIG = ("apache/lab.conf", r"^\s+(WSGIDaemonProcess|WSGIProcessGroup|SetEnvIf Host .* WSGI_PROCESS_GROUP|"
                 r"WSGIApplicationGroup %\{GLOBAL\})")  # fmt: skip
STYLE = """
body { margin: 0; font: 22px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background: #f4f4f4; }
section { box-sizing: border-box; width: 100%; min-height: 100vh; padding: 4vh 6vw; background: #fff;
          border-bottom: 2px solid #ddd; page-break-after: always; break-after: page; }
h1 { font-size: 44px; margin: 0 0 0.5em; } h2 { font-size: 34px; margin: 0 0 0.6em; }
pre { font: 17px/1.35 ui-monospace, "DejaVu Sans Mono", Menlo, monospace; background: #1e1e1e; color: #eee;
      padding: 0.8em 1em; overflow-x: auto; white-space: pre; border-radius: 6px; }
.del { color: #ff8a80; } .add { color: #b9f6ca; } .hunk { color: #80d8ff; }
img { max-width: 100%; max-height: 70vh; border: 1px solid #ccc; }
.small { font-size: 16px; color: #555; } ol li { margin: 0.3em 0; }
@media print { section { min-height: auto; height: 100vh; } }
/* slides.html#s4 shows slide 4 alone: a slide a time, with no script. */
body:has(section:target) section:not(:target) { display: none; }
"""


def pre(text, diff=False):
    lines = []
    for line in text.rstrip("\n").splitlines():
        escaped = html.escape(line)
        if diff and line.startswith(("+++", "---")):
            lines.append(f'<span class="hunk">{escaped}</span>')
        elif diff and line.startswith("@@"):
            lines.append(f'<span class="hunk">{escaped}</span>')
        elif diff and line.startswith("-"):
            lines.append(f'<span class="del">{escaped}</span>')
        elif diff and line.startswith("+"):
            lines.append(f'<span class="add">{escaped}</span>')
        else:
            lines.append(escaped)
    return "<pre>" + "\n".join(lines) + "</pre>"


def stored(name):
    return document.load(docs.ROOT / "docs" / "runs" / f"{name}.json")


def source(path):
    return f'<p class="small">From <code>{html.escape(path)}</code>.</p>'


def slides():
    """The slides, as (title, HTML body) pairs, every figure from a stored run or a lab file."""
    bug = docs.source_lines(
        ["apps/app1/app1/wsgi_buggy.py", r"^os\.environ\.setdefault", "apps/app2/app2/wsgi_buggy.py",
         r"^os\.environ\.setdefault", "apache/lab.conf", r"^ *SetEnvIf Host \^app2.*WSGI_APP_GROUP",
         "apache/lab.conf", r"^ *WSGIApplicationGroup %\{ENV"]
    )  # fmt: skip
    reproduce, eager, fixed = stored("reproduce"), stored("twelve-factor-eager"), stored("fixed")
    embedded_cost = [
        line for line in docs.run_text(reproduce, "make reproduce", verbose=True).splitlines()
        if line.startswith("Apache container:")
    ]  # fmt: skip
    picture = base64.b64encode(PICTURE.read_bytes()).decode()
    return [
        ("Two Django apps, one Apache, tasks at the wrong broker",
         "<p>Under load, one app's Celery tasks go to the other app's RabbitMQ vhost, as the other app's user. "
         "Every request is answered 200.</p>"
         "<p class='small'>Hearsay Social engineering blog, &ldquo;Using mod_wsgi with Celery&rdquo;, 2013-04-21. "
         "Graham Dumpleton, &ldquo;Requests running in wrong Django instance under Apache/mod_wsgi&rdquo;, "
         "October 2012.</p>"),
        ("The four lines that cause it", pre(bug)),
        ("The chain",
         "<ol><li><code>setdefault()</code> stores a missing value: <code>os.environ[...] = ...</code></li>"
         "<li>which calls <code>putenv()</code>: the Apache child's one C environment</li>"
         "<li>mod_wsgi creates the other app's interpreter later; from Python 3.9 it copies that environment</li>"
         "<li>its own <code>setdefault()</code> keeps the value: its Celery publishes to the other vhost</li></ol>"),
        ("A run: make reproduce",
         f'<img alt="the timeline of a buggy run" src="data:image/png;base64,{picture}">'
         + pre(phrasebook.verdict_line(reproduce.verdict, reproduce.checked.summary))
         + source("docs/runs/reproduce.json")),
        ("The fix: make diff",
         pre(docs.fix_diff(), diff=True)
         + pre(phrasebook.verdict_line(fixed.verdict, fixed.checked.summary)) + source("docs/runs/fixed.json")),
        ("The twelve-factor twist: the 2013 fix alone",
         pre(docs.run_text(eager, "make try-fix SCENARIO=twelve-factor FIX=twelve-factor-eager FIRST=app1 "
                           "PROCESSES=1")) + source("docs/runs/twelve-factor-eager.json")),
        ("Daemon mode: one app per process, and its cost",
         pre(docs.source_lines(list(DAEMON_CONFIG)))
         + "<p>The buggy code, unchanged, in a daemon process group per app: nothing is shared, nothing leaks "
           "(<code>make daemon</code>: ISOLATED on every stack, <code>docs/measured/matrix.md</code>).</p>"
         + "<p>Embedded mode, for comparison (<code>make reproduce</code>):</p>" + pre("\n".join(embedded_cost))
         + "<p>Daemon mode adds its daemon processes on top, each with its own Python, Django and Celery: "
           "<code>make daemon VERBOSE=1</code> prints its own line (no stored run holds it yet).</p>"),
    ]  # fmt: skip


def render():
    sections = "\n".join(
        f'<section id="s{number}"><h{1 if number == 1 else 2}>{html.escape(title)}</h{1 if number == 1 else 2}>'
        f"{body}</section>"
        for number, (title, body) in enumerate(slides(), 1)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>The mod_wsgi environment-leak lab</title>"
        f"<style>{STYLE}</style></head>\n<body>\n"
        "<!-- Written by `make docs` (loadtest/slides.py) from docs/runs/ and the lab's files: edit those. -->\n"
        f"{sections}\n</body></html>\n"
    )


def browser():
    return next(
        (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None
    )


def headless(page, *arguments):
    """A headless Chromium on the page, with every network request sent to a closed port."""
    found = browser()
    if not found:
        raise FileNotFoundError("no Chromium or Chrome on PATH (scripts/ensure-chromium.sh installs one)")
    command = [found, "--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9",
               "--proxy-bypass-list=<-loopback>", *arguments, page.resolve().as_uri()]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m loadtest.slides", description=__doc__)
    parser.add_argument("--out", type=Path, default=SLIDES, help="where the HTML goes (default: dist/slides.html)")
    parser.add_argument("--pdf", type=Path, help="also print the slides to this PDF (headless Chromium)")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render())
    print(f"slides: {args.out}")
    if args.pdf:
        args.pdf.parent.mkdir(parents=True, exist_ok=True)
        completed = headless(args.out, "--no-pdf-header-footer", f"--print-to-pdf={args.pdf.resolve()}")
        if completed.returncode != 0 or not args.pdf.exists():
            print(f"slides: no PDF: {completed.stderr.strip()[-300:]}", file=sys.stderr)
            return 1
        print(f"slides: {args.pdf}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
