"""The repository's own tools, beside the lab: the docs' citation check (make lint), the images'
sdists and wheels (make wheelhouse), a base image from a debootstrapped tree (make docker) and
the workflow's run steps (make ci-proof). Each runs as `python -m loadtest.tools.NAME`."""
