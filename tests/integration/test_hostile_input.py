"""Hostile input against the running stack: every malformed request gets a 4xx, never a 5xx.
When Django answers, its body is one line of JSON, {"error": "..."}; when Apache answers by
itself (a body over LimitRequestBody, a Host of the default VirtualHost), the body shows no
version and no traceback. Afterwards both apps still serve GET /xray/."""

import json
import re
import string

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HOSTS = ("app1.example.com", "app2.example.com")
MAX_BODY = 1024  # labcore/views.py
APACHE_LIMIT = 65536  # LimitRequestBody, apache/lab.conf
LEAKS = re.compile(rb"Traceback|File \"|Apache/\d|mod_wsgi/|Python/\d|Debian|Ubuntu|<address>", re.IGNORECASE)
ID_CHARS = string.ascii_letters + string.digits + "_-"

hostile = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

lab_hosts = st.sampled_from(HOSTS)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)
not_objects = json_scalars | st.lists(json_values, max_size=5)
# Anything but a string of 1..64 of ID_CHARS.
bad_ids = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.lists(json_scalars, max_size=3)
    | st.dictionaries(st.text(max_size=5), json_scalars, max_size=2)
    | st.just("")
    | st.text(alphabet=ID_CHARS, min_size=65, max_size=300)
    | st.text(min_size=1, max_size=64).filter(lambda text: not re.fullmatch(r"[A-Za-z0-9_-]+", text))
)
good_ids = st.text(alphabet=ID_CHARS, min_size=1, max_size=64)


def not_utf8(data):
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?", fullmatch=True)
random_hosts = st.lists(label, min_size=1, max_size=4).map(".".join)
bad_hosts = (
    st.sampled_from(["x.example.com", "", "example.com", "app3.example.com", "app1.example.com.evil.test", "localhost"])
    | random_hosts
    | label.map(lambda name: f"{name}.example.com")
).filter(lambda host: host.lower().rstrip(".") not in HOSTS)


def send(lab, method, path, host, body=None, headers=None):
    return requests.request(
        method,
        f"{lab.url}{path}",
        data=body,
        headers={"Host": host, "Connection": "close", **(headers or {})},
        timeout=30,
    )


def assert_refused(response, method="POST", django=True, status=None):
    """A 4xx, Apache's bare Server header, nothing leaked; Django's answers one line of JSON.
    django=True: the request must reach Django (Host of the lab, body within Apache's limit)."""
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if status is not None:
        assert response.status_code == status, (response.status_code, response.content[:300])
    assert response.headers.get("Server") == "Apache"
    assert not LEAKS.search(response.content), response.content[:300]
    is_json = response.headers.get("Content-Type", "").startswith("application/json")
    if method == "HEAD":  # no body either way
        assert response.content == b""
        return None
    if django or is_json:
        assert is_json, (response.status_code, response.headers.get("Content-Type"), response.content[:300])
        lines = response.content.decode("utf-8").splitlines()
        assert len(lines) == 1, response.content[:300]
        document = json.loads(lines[0])
        assert isinstance(document, dict) and isinstance(document.get("error"), str) and document["error"]
        return document
    return None


def assert_both_apps_serve(lab):
    for host in HOSTS:
        response = send(lab, "GET", "/xray/", host)
        assert response.status_code == 200, (host, response.status_code, response.content[:300])
        assert response.headers["Server"] == "Apache"
        assert isinstance(response.json(), dict)


@pytest.fixture
def still_serving(lab):
    """After each test's examples: both apps still answer GET /xray/ with 200."""
    yield lab
    assert_both_apps_serve(lab)


@hostile
@given(host=lab_hosts, value=not_objects)
def test_json_that_is_not_an_object(still_serving, host, value):
    response = send(still_serving, "POST", "/enqueue/", host, json.dumps(value).encode())
    assert_refused(response, status=413 if len(json.dumps(value)) > MAX_BODY else 400)


@hostile
@given(host=lab_hosts, key=st.sampled_from(["run_id", "request_id"]), bad=bad_ids, good=good_ids, extra=json_values)
def test_ids_of_the_wrong_type_or_shape(still_serving, host, key, bad, good, extra):
    document = {"run_id": good, "request_id": good, "extra": extra, key: bad}
    body = json.dumps(document).encode()
    response = send(still_serving, "POST", "/enqueue/", host, body)
    assert_refused(response, status=413 if len(body) > MAX_BODY else 400)


@hostile
@given(host=lab_hosts, body=st.binary(min_size=1, max_size=MAX_BODY).filter(not_utf8))
def test_bytes_that_are_not_utf8(still_serving, host, body):
    assert_refused(send(still_serving, "POST", "/enqueue/", host, body), status=400)


@hostile
@given(host=lab_hosts, size=st.integers(MAX_BODY + 1, APACHE_LIMIT + 64 * 1024), valid_prefix=st.booleans())
def test_bodies_over_the_limit(still_serving, host, size, valid_prefix):
    # A well-formed object padded past the limit: the size alone refuses it.
    head = b'{"run_id": "r", "request_id": "q", "pad": "' if valid_prefix else b""
    body = (head + b"x" * size)[:size]
    response = send(still_serving, "POST", "/enqueue/", host, body)
    # Up to Apache's limit Django answers (413 JSON); beyond it Apache itself answers 413.
    assert_refused(response, django=size <= APACHE_LIMIT, status=413)


def test_a_chunked_body_is_refused(still_serving):
    """No Content-Length at all: mod_wsgi refuses chunked request bodies (411) unless told
    otherwise; whoever answers, it is a 4xx."""
    for host in HOSTS:
        chunks = iter([b'{"run_id": "r", ', b'"request_id": "q"}'])
        assert_refused(send(still_serving, "POST", "/enqueue/", host, chunks), django=False)


@hostile
@given(
    host=lab_hosts,
    call=st.sampled_from(
        [("/enqueue/", method) for method in ("GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS")]
        + [(path, method) for path in ("/xray/", "/hello/") for method in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS")]
    ),
)
def test_wrong_methods(still_serving, host, call):
    path, method = call
    response = send(still_serving, method, path, host, None if method in ("GET", "HEAD") else b"{}")
    assert_refused(response, method=method, status=405)
    assert response.headers["Allow"] == ("POST" if path == "/enqueue/" else "GET, HEAD")


@hostile
@given(host=bad_hosts, call=st.sampled_from([("GET", "/xray/"), ("POST", "/enqueue/"), ("GET", "/nowhere/")]))
def test_bad_hosts(still_serving, host, call):
    method, path = call
    # An empty body: even a Host check that failed open would publish nothing.
    response = send(still_serving, method, path, host, b"" if method == "POST" else None)
    # *.example.com reaches Django, which refuses the Host (DisallowedHost, handler400); any
    # other Host gets Apache's default VirtualHost, static files only.
    reaches_django = host.lower().rstrip(".").endswith(".example.com")
    document = assert_refused(response, django=reaches_django, status=400 if reaches_django else None)
    if reaches_django:
        assert document == {"error": "Host not allowed"}


def test_both_apps_still_serve_xray_afterwards(lab):
    assert_both_apps_serve(lab)
    for host in HOSTS:
        assert send(lab, "HEAD", "/xray/", host).status_code == 200
