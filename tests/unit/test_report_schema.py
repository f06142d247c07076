"""The report's one declaration (loadtest/report.schema.json, written from the document's types
by make docs): a document the checker builds matches it and reads back as the same typed
document, so does every stored run, and a key nobody declared is refused."""

import json
from pathlib import Path

import jsonschema
import pytest

from loadtest import document as documents
from loadtest.docs import schema_text
from tests.unit import answers
from tests.unit.test_picture import run_document

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads(documents.SCHEMA.read_text())
STORED_RUNS = sorted((ROOT / "docs" / "runs").glob("*.json"))
STORED_RUNS = [path for path in STORED_RUNS if path.name != "xray.json"]  # /xray/'s rows, not a run


def test_the_schema_file_is_the_one_the_types_give():
    assert documents.SCHEMA.read_text() == schema_text(), "run make docs"


def test_a_document_the_checker_builds_matches_the_schema_and_reads_back_the_same():
    document = run_document()
    data = json.loads(documents.to_json(document))
    jsonschema.validate(data, SCHEMA)
    assert documents.from_data(data) == document
    assert (
        data["checked"]["verdict"]["kind"] == "INCONCLUSIVE" and data["checked"]["summary"]["totals"]["misrouted"] == 3
    )


def test_a_key_nobody_declared_is_refused():
    data = json.loads(documents.to_json(answers.document([answers.result("a", "app1")])))
    with pytest.raises(jsonschema.ValidationError, match="surprise"):
        jsonschema.validate({**data, "surprise": 1}, SCHEMA)
    data["checked"]["verdict"]["kind"] = "MAYBE"
    with pytest.raises(jsonschema.ValidationError, match="MAYBE"):
        jsonschema.validate(data, SCHEMA)


@pytest.mark.parametrize("path", STORED_RUNS, ids=lambda path: path.name)
def test_every_stored_run_matches_the_schema_and_reads_back(path):
    data = json.loads(path.read_text())
    jsonschema.validate(data, SCHEMA)
    assert documents.from_data(data).report_path


def test_there_are_stored_runs_to_check():
    assert len(STORED_RUNS) >= 5
