"""`quartier init`: a working config from a city's files as published (:func:`write_config`), or
a template with every key (:func:`template`)."""

from quartier.onboard.template import template
from quartier.onboard.writer import write_config

__all__ = ["template", "write_config"]
