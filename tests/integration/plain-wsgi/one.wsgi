"""A twelve-factor app: its database URL from the environment, with a default of its own."""

import os

import envleak

os.environ.setdefault("DATABASE_URL", "postgres://one:password-of-one@db/one")


def serve(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [os.environ["DATABASE_URL"].encode("utf-8")]


application = envleak.wrap(serve)
