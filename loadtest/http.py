"""One HTTP request on a new connection, with the standard library alone (http.client): what the
load test sends to Apache and asks RabbitMQ's management API. A new connection per request, as
many different clients would make them: Apache hands each to whichever child accepts it first.
It costs a fraction of a general-purpose client's CPU per request, which on a small machine
competes with the Apache children under test."""

import base64
import http.client
import json
import urllib.parse


class Failed(Exception):
    """No answer: `kind` is 'timeout' or 'connection' (refused, reset, cut off mid-answer...)."""

    def __init__(self, kind, message):
        Exception.__init__(self, message)
        self.kind = kind


class Answer:
    def __init__(self, status, body):
        self.status, self.body = status, body

    @property
    def ok(self):
        return self.status < 400

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.body)


def request(method, url, host=None, body=None, timeout=15.0, auth=None):
    """`method` `url` (http://HOST:PORT/PATH), with the Host header `host` if given, a JSON body
    and HTTP basic `auth` (user, password) if given. Returns an Answer; raises Failed."""
    parts = urllib.parse.urlsplit(url)
    headers = {"Connection": "close"}
    if host:
        headers["Host"] = host
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        connection.request(method, parts.path or "/", body=data, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.read())
    except TimeoutError as exc:
        raise Failed("timeout", "client timeout") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise Failed("connection", f"{type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()
