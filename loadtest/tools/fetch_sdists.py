"""Fetch the source distributions an image builds (requirements/sdists.txt) into a wheelhouse,
from pip's own package index (its configured index-url, else pip's default), each checked
against its pinned SHA-256. pip itself cannot download these on the host: it prepares each
sdist's metadata, and their setup.py wants Apache's apxs or Python 2.

    python -m loadtest.tools.fetch_sdists WHEELHOUSE TAG...
        TAG: a stack (bullseye), mod_wsgi6 (every Python 3 stack), arm64-python3 (every
        Python 3 stack's arm64 wheelhouse) or arm64-python2 (the Python 2.7 stack's on arm64)
    python -m loadtest.tools.fetch_sdists --wheels REQUIREMENTS MACHINE TAG...
        What pip downloads as wheels for Linux on MACHINE (x86_64, aarch64): the requirements
        whose markers hold there (pip would evaluate them for this host), without the packages
        the TAGs get as sdists
"""

import hashlib
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

PINS = Path(__file__).resolve().parents[2] / "requirements" / "sdists.txt"


def index_url():
    """pip's index: what `pip config` says, else pip's built-in default."""
    listed = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    configured = re.search(r"^global\.index-url='([^']+)'", listed, re.M)
    if configured:
        return configured[1].rstrip("/")
    from pip._internal.models.index import PyPI

    return PyPI.simple_url.rstrip("/")


def pins(tags):
    for line in PINS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            requirement, tag, digest = line.split()
            if tag in tags:
                name, version = requirement.split("==")
                yield name, version, digest.removeprefix("sha256:")


def fetch(name, version, digest, wheelhouse, index):
    filename = f"{name}-{version}.tar.gz"
    target = wheelhouse / filename
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == digest:
        return
    project = re.sub(r"[-_.]+", "-", name).lower()  # PEP 503's normalized name
    page = urllib.request.urlopen(f"{index}/{project}/", timeout=60).read().decode()
    links = [href for href in re.findall(r'href="([^"]+)"', page) if href.split("#")[0].endswith("/" + filename)]
    if not links:
        sys.exit(f"fetch-sdists: {filename} is not on the index {index}")
    url = urllib.request.urljoin(f"{index}/{project}/", links[0].split("#")[0])
    data = urllib.request.urlopen(url, timeout=300).read()
    if hashlib.sha256(data).hexdigest() != digest:
        sys.exit(f"fetch-sdists: {filename}: SHA-256 {hashlib.sha256(data).hexdigest()}, not the pinned {digest}")
    target.write_bytes(data)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "--wheels":
        from packaging.requirements import Requirement

        machine, sdists = argv[2], {name.lower() for name, _, _ in pins(set(argv[3:]))}
        target = {"platform_machine": machine, "sys_platform": "linux", "platform_system": "Linux"}
        for line in Path(argv[1]).read_text().splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            requirement = Requirement(line)
            if requirement.name.lower() not in sdists and (
                requirement.marker is None or requirement.marker.evaluate(target)
            ):
                print(str(requirement).split(";")[0])
        return 0
    wheelhouse, tags = Path(argv[0]), set(argv[1:])
    wheelhouse.mkdir(parents=True, exist_ok=True)
    index = index_url()
    for name, version, digest in pins(tags):
        fetch(name, version, digest, wheelhouse, index)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
