"""`quartier init PATH` without files: every section and key of the config, commented, built
from the config models themselves (so it can never miss a key)."""

from __future__ import annotations

from typing import get_args, get_origin

import tomli_w
from pydantic import BaseModel

from quartier import config as config_mod


def toml_value(value: object) -> str:
    """A TOML literal of a scalar, list or (inline) table."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return tomli_w.dumps({"v": value}).split("=", 1)[1].strip()


def template() -> str:
    """Every section and key of the config, commented, with its description and default."""
    out = ["# quartier city config — every key, commented. Paths are relative to this file.",
           "# Remove the '#' of what you need; `quartier init PATH --units FILE --table FILE`",
           "# writes a config from your files instead.", ""]
    root = config_mod.QuartierConfig
    top = [(k, f) for k, f in root.model_fields.items() if k != "base_dir"
           and _model_of(f.annotation) is None]
    out += [_field_line(k, f) for k, f in top]
    for key, fld in root.model_fields.items():
        model = _model_of(fld.annotation)
        if model is None or key == "base_dir":
            continue
        array = get_origin(fld.annotation) is list or any(
            get_origin(a) is list for a in get_args(fld.annotation))
        out += ["", f"# [{'[' if array else ''}{key}{']' if array else ''}]"
                + (f"   {model.__doc__.strip().splitlines()[0]}" if model.__doc__ else "")]
        nested = []
        for sub, sf in model.model_fields.items():
            inner = _model_of(sf.annotation)
            if inner is not None and get_origin(sf.annotation) is dict:
                out.append(f"# [{key}.{sub}]   {sub} = {{ " + ", ".join(
                    f"{k} = …" for k in inner.model_fields) + " }")
                continue
            if inner is not None and get_origin(sf.annotation) is not list:
                # a sub-table (units.grid, population.grid): its keys below the parent's
                nested += ["", (f"# [{key}.{sub}]   " + (sf.description or "")).rstrip()]
                nested += [_field_line(k, f) for k, f in inner.model_fields.items()]
                continue
            out.append(_field_line(sub, sf))
        out += nested
    return "\n".join(out) + "\n"


def _model_of(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _field_line(key: str, fld) -> str:
    if fld.is_required():
        value = "…"
    else:
        default = fld.get_default(call_default_factory=True)
        try:
            value = toml_value(default) if default is not None else "…"
        except (TypeError, ValueError):
            value = "…"
        if isinstance(default, BaseModel):
            value = "…"
    line = f"# {key} = {value}"
    desc = (fld.description or "").replace("\n", " ")
    return f"{line:<50}# {desc}" if desc else line
