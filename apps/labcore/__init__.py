"""Code both Django projects share: the task, the two views and the x-ray probe. It runs on
every stack's Python, 2.7 included (the bullseye stack): no Python 3-only syntax."""
