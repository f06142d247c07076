"""The report: the run stored as data first (its document, a JSON file under reports/, and
reports/latest.json for programs), then its page and the index rendered from that data; the
terminal's text is the phrasebook's (loadtest.phrasebook)."""

import dataclasses
import datetime
import os
from pathlib import Path

from loadtest import document as documents
from loadtest import phrasebook
from loadtest.lab import LATEST_REPORT, ROOT, UsageError
from loadtest.report_html import write_index, write_run_page


def forget_latest(report_dir):
    """Removed as a run starts, so a run that ends without a verdict leaves none behind."""
    (report_dir / LATEST_REPORT).unlink(missing_ok=True)


def check_writable(report_dir):
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        probe = report_dir / f".write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"cannot write reports to {report_dir}: {exc.strerror}") from None


def shown_path(path):
    """A report's path as the reader types it: relative to the checkout when it is inside."""
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def store(document, report_dir, label=""):
    """Write the document as <stamp>-<stack>-<code>-...-<run id>.json (latest.json beside it),
    its page and the index. Returns the document with its report_path."""
    spec = document.spec
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    parts = (stamp, spec.stack, spec.code, spec.process_model, spec.scenario, label, document.run.run_id)
    skip = ("embedded", "default", "")
    path = Path(report_dir) / ("-".join(part for part in parts if part not in skip) + ".json")
    document = dataclasses.replace(document, report_path=shown_path(path))
    text = documents.to_json(document) + "\n"
    path.write_text(text)
    latest = Path(report_dir) / f".{LATEST_REPORT}.{os.getpid()}"
    latest.write_text(text)
    latest.replace(Path(report_dir) / LATEST_REPORT)
    write_run_page(document, path)
    write_index(report_dir)
    return document


def show(document, verbose=False):
    """Print what the terminal shows after the load, the verdict last."""
    print("\n".join(phrasebook.terminal(document, verbose)))
