"""Errors a user can fix: each names the file, the column, the rows and how to fix it."""

# printed on Ctrl-C, also while the scientific stack is still being imported (``__main__``)
INTERRUPTED = ("Abgebrochen (Ctrl-C). Die Ausgaben des vorigen Laufs sind unverändert; Dateien "
               "dieses Laufs sind vollständig oder gar nicht geschrieben.")


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


def require_columns(df, columns: list[str], source: str, what: str) -> None:
    """Raise :class:`InputDataError` naming the ``columns`` missing in ``df`` (``what`` says
    which role they play, ``source`` which file or function) and listing the ones it has."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputDataError(
            f"{source}: {what} column(s) {', '.join(map(repr, missing))} not found. "
            f"Available columns: {', '.join(map(str, df.columns))}"
        )
