"""The join report: what happened when each table was read and joined to the units."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from quartier import vocab

#: Column of a table read with ``unit_names``: the units' names it carries.
UNIT_NAMES = "__unit_name"
#: Unmatched table keys for which the join report looks up the closest unit names.
MAX_SUGGESTED = 200


@dataclass
class TableReport:
    """What happened when one table was read and joined."""

    name: str
    path: str
    rows: int = 0
    matched: int = 0
    only_in_units: list[str] = field(default_factory=list)
    only_in_table: list[str] = field(default_factory=list)
    rows_with_missing: dict[str, list[str]] = field(default_factory=dict)
    dropped_rows: list[str] = field(default_factory=list)
    dropped_keys: dict[str, list[int]] = field(default_factory=dict)
    suggestions: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: what a reader of the results must know (counts doubled, repeated values): also in the
    #: report's notes, not only in the join report
    warnings: list[str] = field(default_factory=list)
    #: a census grid table lists every cell of the grid: cells that are no unit are counted
    #: (and said in the notes), not listed one by one in join_unmatched
    cells: bool = False

    def unmatched(self) -> list[str]:
        """Keys only in the table, each with the closest unit names: "Sankt Paul (→ St. Pauli?)"."""
        return [f"{k} (→ {', '.join(self.suggestions[k])}?)" if self.suggestions.get(k) else k
                for k in self.only_in_table]


@dataclass
class JoinReport:
    """Join report of one city load: units notes and one :class:`TableReport` per table."""

    n_units: int = 0
    unit_notes: list[str] = field(default_factory=list)
    tables: list[TableReport] = field(default_factory=list)
    #: the language its notes are written in (the city's, :func:`quartier.pipeline.load_city`)
    language: str = field(default_factory=vocab.language)

    def warnings(self) -> list[str]:
        """The notes every reader of the results must see: the units' and the tables' warnings."""
        return [*self.unit_notes, *(w for t in self.tables for w in t.warnings)]

    def to_frame(self) -> pd.DataFrame:
        """One row per table: matched, only in units, only in table, rows with missing values,
        and in ``details`` the notes and the unmatched keys with the closest unit names (in the
        report's language)."""
        with vocab.use_language(self.language):
            return self._frame()

    def _frame(self) -> pd.DataFrame:
        rows = []
        for t in self.tables:
            missing_ids = sorted({i for ids in t.rows_with_missing.values() for i in ids})
            unmatched = t.unmatched()
            rows.append(
                {
                    "table": t.name,
                    "file": Path(t.path).name,
                    "rows": t.rows,
                    "matched": f"{t.matched}/{self.n_units}",
                    "only_in_units": len(t.only_in_units),
                    "only_in_table": len(t.only_in_table),
                    "rows_with_missing": len(missing_ids),
                    "details": "; ".join(
                        [*t.warnings, *t.notes,
                         *([vocab.note("join.only_in_table", keys=vocab.preview(unmatched, 20))]
                           if unmatched and not t.cells else []),
                         *([vocab.note("join.units_without_row",
                                       ids=vocab.preview(t.only_in_units, 20))]
                           if t.only_in_units else []),
                         *([vocab.note("join.missing_values", ids=vocab.preview(missing_ids))]
                           if missing_ids else [])]
                    ),
                }
            )
        return pd.DataFrame(rows, columns=["table", "file", "rows", "matched", "only_in_units",
                                           "only_in_table", "rows_with_missing", "details"])

    def unmatched_frame(self, units: pd.DataFrame | None = None) -> pd.DataFrame:
        """Every unmatched key, one row each: ``table``, ``side`` ("nur in der Tabelle" /
        "nur in den Einheiten"), ``key``, ``name`` and the closest names (``suggestions``)."""
        names = (dict(zip(units["unit_id"], units["unit_name"], strict=True))
                 if units is not None else {})
        rows = []
        for t in self.tables:
            rows += [{"table": t.name, "side": "nur in der Tabelle", "key": k, "name": k,
                      "suggestions": ", ".join(t.suggestions.get(k, []))}
                     for k in ([] if t.cells else t.only_in_table)]
            rows += [{"table": t.name, "side": "nur in den Einheiten", "key": u,
                      "name": names.get(u, ""), "suggestions": ""} for u in t.only_in_units]
        return pd.DataFrame(rows, columns=["table", "side", "key", "name", "suggestions"])
