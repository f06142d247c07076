"""A root file system as an image archive for `docker load`, for an architecture that is not
the engine's own (scripts/ensure-docker.sh, where no registry answers).

    python3 -m loadtest.tools.image_archive ROOTFS ARCH TAG [NAME=VALUE ...] | docker load

`docker import --platform` is ignored by engines before 23: the image would say amd64 and
Compose would refuse it for `platform: linux/arm64`. `docker load` keeps the architecture the
archive's config names. The archive is the `docker save` layout: manifest.json, the config
(architecture, os, Env: PATH and each NAME=VALUE) and one layer, the ROOTFS as a tar.
"""

import datetime
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile

PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    rootfs, arch, tag, env = argv[0], argv[1], argv[2], argv[3:]
    with tempfile.TemporaryFile() as layer:
        # GNU tar, as debootstrap's tree needs: device nodes, owners by number, xattrs.
        subprocess.run(["tar", "--numeric-owner", "--xattrs", "-C", rootfs, "-c", "."], stdout=layer, check=True)
        layer.seek(0)
        digest = hashlib.sha256()
        for chunk in iter(lambda: layer.read(1 << 20), b""):
            digest.update(chunk)
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        config = json.dumps(
            {
                "architecture": arch,
                "os": "linux",
                "created": now,
                "config": {"Env": [PATH, *env], "Cmd": ["bash"]},
                "rootfs": {"type": "layers", "diff_ids": ["sha256:" + digest.hexdigest()]},
                "history": [{"created": now, "created_by": f"debootstrap --arch={arch} --variant=minbase"}],
            },
            separators=(",", ":"),
        ).encode()
        config_name = hashlib.sha256(config).hexdigest() + ".json"
        manifest = json.dumps([{"Config": config_name, "RepoTags": [tag], "Layers": ["layer/layer.tar"]}]).encode()
        with tarfile.open(fileobj=sys.stdout.buffer, mode="w|") as archive:
            for name, data in (("manifest.json", manifest), (config_name, config)):
                member = tarfile.TarInfo(name)
                member.size = len(data)
                archive.addfile(member, io.BytesIO(data))
            member = tarfile.TarInfo("layer/layer.tar")
            member.size = layer.seek(0, io.SEEK_END)
            layer.seek(0)
            archive.addfile(member, layer)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
