"""The views' answers to malformed requests, through Django's test client: every one is a 4xx
with one line of JSON, {"error": "..."}. Only invalid input is sent, all of it rejected before
any broker is used, so nothing of the real code is stubbed and no broker is needed."""

import json
import re
import sys
from pathlib import Path

import django
import pytest
from django.conf import settings as django_settings
from hypothesis import given, settings
from hypothesis import strategies as st

APPS = Path(__file__).resolve().parents[2] / "apps"
# labcore imports envleak (the images install its wheel): from the tree here.
for folder in (APPS.parent / "envleak" / "src", APPS, APPS / "app1"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

if not django_settings.configured:
    from app1 import settings as app1_settings

    django_settings.configure(**{name: getattr(app1_settings, name) for name in dir(app1_settings) if name.isupper()})
    django.setup()

from django.test import Client, RequestFactory  # noqa: E402
from labcore import views  # noqa: E402

HOST = "app1.example.com"
client = Client(HTTP_HOST=HOST)
ID_RULE = re.compile(r"[A-Za-z0-9_-]{1,64}")
hypothesis_settings = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
)


def assert_json_error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert b"\n" not in response.content
    document = json.loads(response.content)
    assert list(document) == ["error"] and isinstance(document["error"], str) and document["error"]
    return document["error"]


def post(body, **extra):
    return client.post("/enqueue/", data=body, content_type="application/json", **extra)


def is_valid_enqueue(body):
    """The rules of POST /enqueue/, written independently of the view: what Hypothesis must
    not send to it (a valid body would publish)."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return (
        len(body) <= 1024
        and isinstance(document, dict)
        and all(
            isinstance(document.get(key), str) and ID_RULE.fullmatch(document[key]) for key in ("run_id", "request_id")
        )
    )


# Methods -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete", "options"])
def test_enqueue_takes_only_post(method):
    response = getattr(client, method)("/enqueue/")
    assert "POST" in assert_json_error(response, 405)
    assert response["Allow"] == "POST"


def test_enqueue_refuses_head_with_405():
    response = client.head("/enqueue/")
    assert response.status_code == 405 and response["Allow"] == "POST"


@pytest.mark.parametrize("path", ["/xray/", "/hello/"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_xray_and_hello_take_only_get_and_head(method, path):
    response = getattr(client, method)(path)
    assert_json_error(response, 405)
    assert response["Allow"] == "GET, HEAD"


# Hosts and paths -----------------------------------------------------------------------


@pytest.mark.parametrize("host", ["x.example.com", "evil.test", "app1.example.com.evil.test", "", "[::1"])
@pytest.mark.parametrize(
    ("method", "path"), [("post", "/enqueue/"), ("get", "/xray/"), ("get", "/hello/"), ("get", "/nowhere/")]
)
def test_a_host_not_allowed_gets_a_json_400(host, method, path):
    response = getattr(client, method)(path, HTTP_HOST=host)
    assert assert_json_error(response, 400) == "Host not allowed"


@pytest.mark.parametrize("path", ["/", "/enqueue", "/xray", "/enqueue/x/", "/%ff/", "/admin/"])
def test_an_unknown_path_gets_a_json_404(path):
    assert_json_error(client.get(path), 404)


def test_the_error_handlers_answer_json():
    request = RequestFactory().get("/", HTTP_HOST=HOST)
    assert_json_error(views.bad_request(request, Exception("x")), 400)
    assert_json_error(views.permission_denied(request, Exception("x")), 403)
    assert_json_error(views.page_not_found(request, Exception("x")), 404)
    assert_json_error(views.server_error(request), 500)


def test_the_urlconf_names_the_json_handlers():
    from labcore import urls

    assert (urls.handler400, urls.handler403, urls.handler404, urls.handler500) == (
        views.bad_request,
        views.permission_denied,
        views.page_not_found,
        views.server_error,
    )


# Body size -----------------------------------------------------------------------------


def test_a_body_over_1_kib_gets_413():
    body = json.dumps({"run_id": "r", "request_id": "q", "pad": "x" * 1024}).encode()
    assert_json_error(post(body), 413)


def test_a_declared_length_over_1_kib_gets_413_without_reading():
    assert_json_error(post(b"{}", CONTENT_LENGTH="1000000"), 413)


@pytest.mark.parametrize("declared", ["abc", "-1", "1e3", " 12", "１２"])
def test_a_content_length_that_is_not_a_number_gets_400(declared):
    assert_json_error(post(b"{}", CONTENT_LENGTH=declared), 400)


def test_the_bytes_read_are_counted_too():
    """A body longer than its Content-Length says (a server that passed more): 413 all the same."""
    body = json.dumps({"run_id": "r", "request_id": "q", "pad": "x" * 2000}).encode()
    request = RequestFactory().post("/enqueue/", data=body, content_type="application/json", HTTP_HOST=HOST)
    request.META["CONTENT_LENGTH"] = "10"
    assert_json_error(views.enqueue(request), 413)


def test_exactly_1_kib_of_bad_json_is_a_400_not_a_413():
    assert_json_error(post(b"[" * 1024), 400)  # also deeper than Python's recursion limit


# Encoding and JSON ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"\xff", b'{"run_id": "\xe9", "request_id": "q"}', '{"run_id": "r"}'.encode("utf-16"), b"\xed\xa0\x80"],
)
def test_a_body_that_is_not_utf8_gets_400(body):
    assert assert_json_error(post(body), 400) == "body is not UTF-8"


@pytest.mark.parametrize("body", [b"", b"{", b"{'run_id': 'r'}", b"run_id=r&request_id=q", b"\xef\xbb\xbf{}", b"{}}"])
def test_a_body_that_is_not_json_gets_400(body):
    assert assert_json_error(post(body), 400) in ("body is not JSON", "run_id is required")


@pytest.mark.parametrize("body", [b"[1,2]", b'"x"', b"3", b"null", b"true", b"NaN", b'[{"run_id": "r"}]'])
def test_json_that_is_not_an_object_gets_400(body):
    assert assert_json_error(post(body), 400) == "body is not a JSON object"


# The two ids ---------------------------------------------------------------------------

BAD_IDS = [None, 1, 1.5, True, [], ["r"], {}, {"id": "r"}, "", "x" * 65, "a b", "a\n", "é", "../x", "a.b", "\ud800"]


@pytest.mark.parametrize("key", ["run_id", "request_id"])
@pytest.mark.parametrize("value", BAD_IDS, ids=repr)
def test_a_bad_id_gets_400(key, value):
    document = {"run_id": "r" * 64, "request_id": "q-1", key: value}
    assert key in assert_json_error(post(json.dumps(document).encode()), 400)


@pytest.mark.parametrize("missing", ["run_id", "request_id"])
def test_a_missing_id_gets_400(missing):
    document = {key: "r" for key in ("run_id", "request_id") if key != missing} | {"extra": "ignored"}
    assert assert_json_error(post(json.dumps(document).encode()), 400) == f"{missing} is required"


# Whatever else comes -------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
almost_valid = st.fixed_dictionaries(
    {"run_id": json_values | st.from_regex(ID_RULE, fullmatch=True), "request_id": json_values},
    optional={"extra": json_values},
)


@hypothesis_settings
@given(body=st.binary(max_size=1500) | json_values.map(lambda v: json.dumps(v).encode()))
def test_any_invalid_body_gets_a_json_4xx(body):
    if is_valid_enqueue(body):
        return
    response = post(body)
    assert_json_error(response, 413 if len(body) > 1024 else 400)


@hypothesis_settings
@given(document=almost_valid)
def test_any_object_with_a_bad_id_gets_400(document):
    body = json.dumps(document).encode()
    if is_valid_enqueue(body):
        return
    assert_json_error(post(body), 413 if len(body) > 1024 else 400)


def test_what_the_load_generator_sends_passes_the_checks():
    """Not the publish (that needs the broker): only that the rules let the lab's own body through."""
    body = json.dumps({"run_id": "e0f3b1680228", "request_id": "e0f3b1680228-299"}).encode()
    request = RequestFactory().post("/enqueue/", data=body, content_type="application/json", HTTP_HOST=HOST)
    assert views.parse_enqueue(request) == ("e0f3b1680228", "e0f3b1680228-299")
    assert is_valid_enqueue(body)


# /unsign/: what a signed value one app issued means to this interpreter -----------------


def unsign(body):
    return client.post("/unsign/", data=body, content_type="application/json")


def test_unsign_accepts_a_value_signed_with_this_interpreters_key_only():
    from django.core import signing

    mine = signing.Signer(salt=views.SIGNING_SALT).sign("run-1")
    theirs = signing.Signer(key="the other app's key", salt=views.SIGNING_SALT).sign("run-1")
    assert json.loads(unsign(json.dumps({"signed": mine})).content)["accepted"] is True
    assert json.loads(unsign(json.dumps({"signed": theirs})).content)["accepted"] is False


@pytest.mark.parametrize(
    "body", [b"", b"[1]", b'{"signed": 3}', b'{"signed": ""}', b"\xff", b'{"signed": "' + b"x" * 201 + b'"}']
)
def test_unsign_refuses_what_is_not_a_signed_value_with_a_json_400(body):
    assert_json_error(unsign(body), 400)
