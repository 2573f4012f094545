"""The commands of quartier, one function each (the CLI and the notebooks call the same):
``run``, ``flag``, ``access``, ``areas``, ``robustness``, ``gaps``, ``sites``, ``monitor``,
``profiles``, and their results. The steps (:mod:`~quartier.pipeline.steps`) are the only place
where the config meets the analysis."""

from quartier.paths import BERLIN_CONFIG, DATA_DIR
from quartier.pipeline.commands import (
    access,
    areas,
    flag,
    gaps,
    monitor,
    profiles,
    robustness,
    run,
    sites,
)
from quartier.pipeline.results import AccessResult, GapsResult, MonitorResult, RunResult

__all__ = ["BERLIN_CONFIG", "DATA_DIR", "AccessResult", "GapsResult", "MonitorResult", "RunResult",
           "access", "areas", "flag", "gaps", "monitor", "profiles", "robustness", "run", "sites"]
