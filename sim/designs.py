"""Sampled experimental designs: points drawn over parameter ranges instead of a grid.

A grid of ten parameters at three values is 59,049 points; a Latin hypercube covers the same
ten ranges evenly with a few hundred. An experiment file names its parameters' ranges and a
design (EMA Workbench's and SALib's vocabulary):

- ``random``: independent uniform draws (Monte Carlo);
- ``latin_hypercube``: each range cut into ``samples`` strata, each stratum drawn once
  (``scipy.stats.qmc.LatinHypercube``);
- ``sobol``: Saltelli's scheme for Sobol indices (SALib, ``pip install 'cdsim[sensitivity]'``),
  ``samples`` base samples, a power of two: ``samples * (D + 2)`` points for D parameters.

Every design draws points in the unit cube and maps each coordinate to its parameter:
uniform, log-uniform, integer (both bounds included) or categorical (equal shares).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

#: The kinds of range a parameter may be sampled over.
KINDS = ("uniform", "log_uniform", "integer", "categorical")
#: The most points a design may draw (a million: far more runs than a study can afford).
MAX_SAMPLES = 1_000_000


class Distribution(BaseModel):
    """One sampled parameter: exactly one of ``uniform``, ``log_uniform``, ``integer`` (each
    ``[low, high]``) or ``categorical`` (a list of values)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    uniform: tuple[float, float] | None = None
    log_uniform: tuple[float, float] | None = None
    integer: tuple[int, int] | None = None
    categorical: list[Any] | None = None

    @model_validator(mode="after")
    def _check(self) -> Distribution:
        given = [k for k in KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of uniform: [low, high], log_uniform: [low, high], "
                "integer: [low, high] or categorical: [values]"
                + (f" (got {', '.join(given)})" if given else "")
            )
        bounds = self.uniform or self.log_uniform or self.integer
        if bounds is not None:
            low, high = bounds
            if not (math.isfinite(low) and math.isfinite(high)):
                raise ValueError(f"{given[0]}: bounds must be finite numbers, got {list(bounds)}")
            if not low < high:
                raise ValueError(f"{given[0]}: low must be below high, got {list(bounds)}")
        if self.log_uniform is not None and self.log_uniform[0] <= 0:
            raise ValueError(f"log_uniform: bounds must be above 0, got {list(self.log_uniform)}")
        if self.categorical is not None and not self.categorical:
            raise ValueError("categorical: needs at least one value")
        return self

    def values(self, u: np.ndarray) -> list[Any]:
        """The parameter's values at unit coordinates ``u`` (in [0, 1)), as plain Python."""
        if self.uniform is not None:
            low, high = self.uniform
            return [float(v) for v in low + u * (high - low)]
        if self.log_uniform is not None:
            low, high = np.log(self.log_uniform)
            return [float(v) for v in np.exp(low + u * (high - low))]
        if self.integer is not None:
            low, high = self.integer
            return [int(v) for v in np.minimum(low + np.floor(u * (high - low + 1)), high)]
        k = len(self.categorical)
        return [self.categorical[int(i)] for i in np.minimum(np.floor(u * k), k - 1)]

    def extremes(self) -> list[Any]:
        """The values a plan checks on the scenario before anything runs."""
        if self.categorical is not None:
            return list(self.categorical)
        bounds = self.uniform or self.log_uniform or self.integer
        return [bounds[0], bounds[1]]


class Design(BaseModel):
    """A sampled design over parameter ranges (the experiment file's ``design:``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["random", "latin_hypercube", "sobol"]
    samples: Annotated[int, Field(ge=1, le=MAX_SAMPLES, strict=True)]
    seed: Annotated[int, Field(ge=0, strict=True)] | None = None  # default: the experiment's
    parameters: dict[str, Distribution]

    @model_validator(mode="after")
    def _check(self) -> Design:
        if not self.parameters:
            raise ValueError("parameters: at least one parameter to sample")
        if self.method == "sobol" and self.samples & (self.samples - 1):
            raise ValueError(f"samples: Sobol needs a power of 2 (e.g. 64), got {self.samples}")
        return self

    @property
    def keys(self) -> tuple[str, ...]:
        """The sampled parameters' dotted paths, in the file's order."""
        return tuple(self.parameters)


def unit_sample(design: Design, seed: int) -> np.ndarray:
    """The design's points in the unit cube, one row per point."""
    d = len(design.parameters)
    rng = np.random.default_rng(seed)
    if design.method == "random":
        return rng.random((design.samples, d))
    if design.method == "latin_hypercube":
        from scipy.stats import qmc  # imported here: scipy.stats takes a while to import

        return qmc.LatinHypercube(d=d, rng=rng).random(design.samples)
    try:
        from SALib.sample import sobol
    except ImportError:
        raise ImportError(
            "the sobol design needs SALib: pip install 'cdsim[sensitivity]' (or SALib)"
        ) from None
    problem = {"num_vars": d, "names": list(design.keys), "bounds": [[0.0, 1.0]] * d}
    points = sobol.sample(problem, N=design.samples, calc_second_order=False, seed=seed)
    return np.clip(points, 0.0, np.nextafter(1.0, 0.0))


def sample(design: Design, seed: int) -> list[tuple[tuple[str, Any], ...]]:
    """The design's points, each as ``((path, value), ...)`` in the design's order."""
    unit = unit_sample(design, seed)
    columns = [dist.values(unit[:, k]) for k, dist in enumerate(design.parameters.values())]
    return [tuple(zip(design.keys, row, strict=True)) for row in zip(*columns, strict=True)]
