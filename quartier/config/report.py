"""Config section ``[report]``: what the committee documents say about the city — title, purpose,
reference date, the name of its units and districts, the key figure, names for grid cells.

Nothing here changes a number: it is the words around them (the map's title, the report's title
page, the profiles' headings). Without the section the pages say "Sozialmonitoring <city>",
"Quartiere" and "Bezirk" in the config's language.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from quartier.config.base import _check_crs, _Strict


class KeyFigureConfig(_Strict):
    """The access key figure of the title page: residents within walking distance of a category."""

    category: str = Field(description="an [access.categories] key, e.g. supermarkt")
    within_m: float | None = Field(None, gt=0, description="walking distance (default: the "
                                   "category's good_m)")


class PlaceNamesConfig(_Strict):
    """Names for units that have none (census grid cells): the polygon (Gemeinde) holding each
    unit's centre, and the larger one above it (Kreis)."""

    path: Path = Field(description="polygons with names, e.g. the Gemeinden (VG250)")
    name_column: str = Field(min_length=1, description="the place's name, e.g. GEN")
    group_column: str | None = Field(None, min_length=1,
                                     description="the larger area's name, e.g. the Kreis")
    layer: str | None = None
    crs: str | None = Field(None, description="CRS of the file when it declares none")

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str | None) -> str | None:
        return _check_crs(value)


class ReportConfig(_Strict):
    """What the map, the report and the profiles say around the numbers."""

    title: str | None = Field(None, description="title of the map and the report (default: "
                              "'Sozialmonitoring <city>')")
    purpose: str | None = Field(None, description="what the report is for: a paragraph on its "
                                "title page")
    author: str | None = Field(None, description="the office that publishes it")
    data_date: str | None = Field(None, description="reference date of the data (Datenstand), "
                                  "e.g. '31.12.2020'")
    unit_name: str | None = Field(None, description="one unit, e.g. Planungsraum (default: "
                                  "Quartier)")
    units_name: str | None = Field(None, description="the units, e.g. Planungsräume (default: "
                                   "Quartiere)")
    units_short: str | None = Field(None, description="their abbreviation, e.g. PLR")
    group_name: str | None = Field(None, description="what units.group_column holds, e.g. "
                                   "Bezirk (default)")
    top_n: int = Field(20, ge=1, le=500, description="quarters in the report's priority list")
    key_access: KeyFigureConfig | None = Field(None, description="access key figure of the "
                                               "title page")
    place_names: PlaceNamesConfig | None = Field(None, description="names for grid cells")
