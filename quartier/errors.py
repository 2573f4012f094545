"""Errors a user can fix: each names the file, the column, the rows and how to fix it."""


class QuartierError(Exception):
    """Base class: the CLI prints these as a message and exits non-zero, without a traceback."""


class ConfigError(QuartierError):
    """The city config is invalid."""


class InputDataError(QuartierError):
    """An input file cannot be used as it is."""


def rows_preview(values, limit: int = 8) -> str:
    """'a, b, c … (+5 more)' for error messages."""
    values = [str(v) for v in values]
    head = ", ".join(values[:limit])
    return head + (f" … (+{len(values) - limit} more)" if len(values) > limit else "")
