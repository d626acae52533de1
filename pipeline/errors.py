"""Errors meant for the user: the CLI prints their message in one line, without a traceback."""


class UserError(RuntimeError):
    """Something the user can fix: a missing model, an unreadable input file, a bad option value."""
