"""Code both Django projects share: the task, the two views and the x-ray probe."""
