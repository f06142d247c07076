"""python -m loadtest.serve: serve reports/ on 127.0.0.1, print the latest run's page, open a
browser where there is one. Ctrl-C stops it."""

import argparse
import functools
import http.server
import sys
import webbrowser
from pathlib import Path

from loadtest.lab import DEFAULTS


def latest_page(report_dir):
    pages = sorted(report_dir.glob("*.html"), key=lambda path: path.stat().st_mtime)
    pages = [page for page in pages if page.name != "index.html"]
    return pages[-1].name if pages else "index.html"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m loadtest.serve", description=__doc__)
    parser.add_argument("--port", type=int, default=DEFAULTS["report_port"], help="port on 127.0.0.1")
    parser.add_argument("--dir", type=Path, default=Path("reports"), help="reports/")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    if not (args.dir / "index.html").is_file():
        print(f"serve: no {args.dir / 'index.html'} yet; run `make reproduce` first", file=sys.stderr)
        return 2
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(args.dir))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    except OSError as exc:
        print(f"serve: cannot listen on 127.0.0.1:{args.port} ({exc.strerror}); try REPORT_PORT=...", file=sys.stderr)
        return 2
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    print(f"Runs: {url}index.html\nLatest run: {url}{latest_page(args.dir)}\n(Ctrl-C stops)", flush=True)
    if not args.no_browser:
        webbrowser.open(f"{url}{latest_page(args.dir)}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("serve: stopped")
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
