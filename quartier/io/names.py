"""Names and ids as keys of a join: normalised spelling of names, zero-padded ids."""

from __future__ import annotations

import functools
import re
import unicodedata

import pandas as pd

from quartier.errors import InputDataError, rows_preview

#: German spellings that name the same place: umlauts written out, "Sankt" abbreviated.
_SPELLING = (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"))

_SANKT = re.compile(r"\bsankt\b|\bst\b\.?")

#: A number code written before a name ("01 Altstadt", "04 Westliche Höhe").
_CODE_PREFIX = re.compile(r"^[0-9]+\s+(?=[^\W\d_])")

#: Footnote marks after a name ("Harburg¹", "Neuwerk*").
_NAME_MARKS = re.compile(r"(?<=\w)[¹²³⁴⁵⁶⁷⁸⁹⁰°*†‡]+$")


@functools.lru_cache(maxsize=1 << 16)  # long tables repeat each name once per year and variable
def normalise_name(name: str) -> str:
    """Key for joining on names: case, umlauts (ö = oe), ß/ss, 'Sankt'/'St.', hyphens, spaces,
    underscores and punctuation do not matter, nor a number code before the name or a footnote
    mark after it ('04 Westliche Höhe' = 'Westliche_Höhe', 'Harburg¹' = 'Harburg'); the join
    report lists every name matched this way."""
    # marks first: NFKC turns "¹" into "1"
    text = unicodedata.normalize("NFKC", _NAME_MARKS.sub("", str(name).strip())).casefold()
    for a, b in _SPELLING:
        text = text.replace(a, b)
    text = _SANKT.sub("st", _CODE_PREFIX.sub("", text))
    return re.sub(r"[\W_]+", "", text)


def normalise_ids(
    values: pd.Series, width: int | None, source: str, column: str
) -> tuple[pd.Series, int]:
    """Ids as stripped strings, zero-padded to ``width`` digits.

    Returns the ids and how many were padded (ids that lost leading zeros in a spreadsheet).
    Float-looking ids ('1100101.0') are repaired as well.
    """
    ids = values.astype("string").str.strip()
    ids = ids.str.replace(r"^(\d+)\.0$", r"\1", regex=True)
    if width is None:
        return ids, 0
    numeric = ids.str.fullmatch(r"\d+").fillna(False)
    too_long = ids[numeric & (ids.str.len() > width)]
    if len(too_long):
        raise InputDataError(
            f"{source}: column {column!r} has ids longer than id_width={width}: "
            f"{rows_preview(too_long.tolist())}; check id_width in the config"
        )
    padded = numeric & (ids.str.len() < width)
    ids = ids.where(~numeric, ids.str.zfill(width))
    return ids, int(padded.sum())
