"""A run's document, the one thing a run stores (reports/*.json, docs/runs/*.json) and everything
else reads: what was asked (`run`: the spec, the seed, the run's id and times), what its
witnesses recorded (`history`) and what the checker derived from that (`checked`), under keys
of their own so that nothing overwrites anything (Jepsen's store). report.schema.json declares
the JSON; `load()` reads it back as these same types."""

import json
from dataclasses import dataclass
from pathlib import Path

from loadtest import codec
from loadtest.checker import Checked
from loadtest.history import History
from loadtest.lab import LATEST_REPORT
from loadtest.spec import RunSpec

SCHEMA = Path(__file__).with_name("report.schema.json")


@dataclass(frozen=True)
class Run:
    """What was asked of one run: its spec, and what the run chose and measured of itself."""

    spec: RunSpec
    seed: int
    run_id: str
    url: str
    first_hosts: tuple[str, ...]
    started_at: str = ""
    load_began_at: float = 0.0
    load_seconds: float = 0.0


@dataclass(frozen=True)
class Document:
    """A run: what was asked, what the witnesses recorded, what the checker found, and where it is stored."""

    run: Run
    history: History
    checked: Checked
    report_path: str = ""

    # Short names for what almost every reader asks.
    @property
    def spec(self):
        return self.run.spec

    @property
    def verdict(self):
        return self.checked.verdict

    @property
    def totals(self):
        return self.checked.summary.totals

    @property
    def interpreters(self):
        return [entry for child in self.checked.timeline for entry in child.interpreters]


def to_json(document):
    """The document as JSON text, one line (json's C encoder: an indented dump took a fifth of a
    second)."""
    return json.dumps(codec.to_data(document), sort_keys=True)


def from_data(data):
    """A document from its parsed JSON (what to_json wrote)."""
    return codec.from_data(Document, data)


def json_schema():
    """report.schema.json: the JSON Schema of a document, from these types (make docs writes it;
    a unit test holds the file to it and validates documents against it)."""
    described = codec.schema(Document)
    described["title"] = "A run's report: reports/<stamp>-<stack>-<code>-...-<run id>.json and reports/latest.json"
    described["description"] = " ".join(__doc__.split())
    return described


def load(path):
    return from_data(json.loads(Path(path).read_text()))


def latest(report_dir="reports"):
    """The last run's document in `report_dir` (its latest.json), or None when the last run gave none."""
    path = Path(report_dir) / LATEST_REPORT
    return load(path) if path.exists() else None
