"""The one writer of output files: atomic, and safe to open in a spreadsheet.

Every file quartier writes goes through :func:`atomic_write`: the content goes to a temporary
file in the same folder, is flushed and ``fsync``-ed, and then replaces the target with
``os.replace`` (atomic on POSIX and Windows). A crash, ``kill -9`` or Ctrl-C at any moment leaves
either the complete previous file or the complete new one, never half a file. A temporary file
left by a killed run is removed by the next run (:func:`prepare_out_dir`).

Tables (CSV and xlsx) pass through :func:`quartier.escape.spreadsheet_frame`: no text cell starts
a formula. CSV is UTF-8 with BOM so that Excel shows umlauts.
"""

from __future__ import annotations

import contextlib
import errno
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd

from quartier.errors import QuartierError
from quartier.io.escape import spreadsheet_frame

TMP_MARK = ".quartier-tmp"


class OutputError(QuartierError):
    """An output cannot be written (no space, no permission, a file where a folder should be)."""


def _explain(exc: OSError, path: Path) -> str:
    if exc.errno == errno.ENOSPC:
        why = "the disk is full"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "no permission to write there (read-only folder or file?)"
    elif exc.errno in (errno.ENOTDIR, errno.EEXIST):
        why = "a file stands where a folder is needed"
    else:
        why = exc.strerror or str(exc)
    return (f"{path}: cannot write ({why}). The previous version of the file, if any, is "
            "unchanged; choose another --out folder or free the problem and run again")


def prepare_out_dir(out: str | Path) -> Path:
    """Create the output folder (or check the existing one) and remove temporary files that a
    killed run left behind. Raises :class:`OutputError` when ``out`` is a file or not writable."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: --out must be a folder, but a file of that name exists; "
                          "choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(_explain(exc, out)) from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise OutputError(f"{out}: the output folder is not writable; choose another --out")
    for stale in out.glob(f".*{TMP_MARK}*"):
        with contextlib.suppress(OSError):
            stale.unlink()
    return out


def _fsync_dir(folder: Path) -> None:
    # the rename itself must reach the disk, not only the file's content
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    On any exception (including KeyboardInterrupt) the temporary file is removed and ``path``
    is left as it was. ``OSError`` becomes :class:`OutputError` with the reason in words.
    """
    path = Path(path)
    if not path.parent.is_dir():
        prepare_out_dir(path.parent)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}{TMP_MARK}{path.suffix}")
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OutputError(_explain(exc, path)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def write_bytes_with(path: str | Path, writer: Callable[[Path], object]) -> Path:
    """Atomically write ``path`` with ``writer(tmp_path)``; returns ``path``."""
    with atomic_write(path) as tmp:
        writer(tmp)
    return Path(path)


def write_text(text: str, path: str | Path) -> Path:
    """A text file (HTML, TOML) in UTF-8, atomically."""
    return write_bytes_with(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """CSV in UTF-8 with BOM and CRLF line ends, formula-safe, atomically (geometry dropped)."""
    plain = spreadsheet_frame(pd.DataFrame(df.drop(columns="geometry", errors="ignore")))
    # CRLF (RFC 4180): a field holding a line break or a lone CR is then quoted, not split
    return write_bytes_with(path, lambda tmp: plain.to_csv(tmp, index=False, encoding="utf-8-sig",
                                                           lineterminator="\r\n"))


#: Longest text an xlsx cell holds (Excel's limit); longer text is cut, the CSV keeps all of it.
XLSX_MAX_CHARS = 32767


def write_xlsx(df: pd.DataFrame, path: str | Path, sheet: str = "Tabelle") -> Path:
    """xlsx, formula-safe (no text cell starts a formula, control characters visible), atomically.
    Text longer than Excel's 32,767 characters is cut with a marker (the CSV holds it whole)."""
    plain = spreadsheet_frame(pd.DataFrame(df.drop(columns="geometry", errors="ignore")))
    for col in plain.columns:
        if plain[col].dtype == object:
            plain[col] = plain[col].map(lambda v: v if not isinstance(v, str) or len(v) <= XLSX_MAX_CHARS
                                        else v[:XLSX_MAX_CHARS - 40] + " … [gekürzt, vollständig in der CSV]")
    # xlsxwriter (2–3× faster than openpyxl); never turn a string into a formula or a link
    options = {"options": {"strings_to_formulas": False, "strings_to_urls": False}}
    return write_bytes_with(path, lambda tmp: plain.to_excel(tmp, index=False, sheet_name=sheet,
                                                             engine="xlsxwriter",
                                                             engine_kwargs=options))


#: Rows of an xlsx sheet, header included.
XLSX_MAX_ROWS = 1_048_576


def write_table(df: pd.DataFrame, path: str | Path) -> list[Path]:
    """The CSV at ``path`` and, beside it, the same table as xlsx for office use. A table too
    long for a sheet gets only the CSV, and a warning says so (never a cut xlsx)."""
    path = Path(path)
    if len(df) >= XLSX_MAX_ROWS:
        warnings.warn(f"{path.with_suffix('.xlsx').name} not written: {len(df):,} rows exceed "
                      f"the {XLSX_MAX_ROWS:,} rows of a spreadsheet; the CSV holds them all",
                      stacklevel=2)
        return [write_csv(df, path)]
    return [write_csv(df, path), write_xlsx(df, path.with_suffix(".xlsx"))]


def write_gpkg_file(gdf: gpd.GeoDataFrame, path: str | Path, layer: str) -> None:
    """One layer into a new GeoPackage at ``path`` (not atomic: :func:`write_gpkg` is). GDAL's
    failures (a full disk, no permission) come from pyogrio as its own errors, not OSError:
    they become :class:`OSError` with the errno the message names, which :func:`atomic_write`
    explains."""
    import pyogrio

    try:
        gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
            pyogrio.errors.FieldError, pyogrio.errors.GeometryError, RuntimeError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        lowered = text.lower()
        code = (errno.ENOSPC if "no space" in lowered or "disk full" in lowered or "sqlite_full"
                in lowered or "database or disk is full" in lowered else
                errno.EFBIG if "file too large" in lowered else
                errno.EACCES if "permission denied" in lowered or "read-only" in lowered else
                errno.EIO)
        raise OSError(code, text if code == errno.EIO else os.strerror(code)) from None


def write_gpkg(gdf: gpd.GeoDataFrame, path: str | Path, layer: str) -> Path:
    """One layer as a GeoPackage, atomically (a new file each time; other layers are not kept)."""
    return write_bytes_with(path, lambda tmp: write_gpkg_file(gdf, tmp, layer))
