class UsageError(Exception):
    """Bad input or an unreachable lab: the CLI prints one line on stderr and exits 2."""
