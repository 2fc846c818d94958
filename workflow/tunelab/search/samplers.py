"""Samplers: propose hyperparameter values for the searched dimensions of a study.

Every sampler has the same small interface, `suggest(n) -> list[dict]`, takes a seed, and gives the
same suggestions for the same seed. `quasi_random` is a scrambled Halton sequence (the points of
`scipy.stats.qmc.Halton`, computed here with numpy alone: importing scipy.stats costs about a second of
every `snakemake` call), the playbook's recommendation for the exploration phase: it covers the
space more evenly than random search and, unlike a grid, every trial has a distinct value of every
hyperparameter, so axis plots are informative.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from tunelab.study.space import Hyperparameter


class Sampler:
    """Base class: maps points of the unit cube to hyperparameter values."""

    name = "base"

    def __init__(self, hyperparameters: list[Hyperparameter], seed: int = 0):
        self.hyperparameters = list(hyperparameters)
        self.seed = int(seed)

    def unit_points(self, n: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def suggest(self, n: int) -> list[dict[str, Any]]:
        """n suggestions, each a dict name -> value over the searched hyperparameters."""
        if not self.hyperparameters:
            return [{}]
        points = self.unit_points(n)
        return [
            {hp.name: hp.from_unit(float(u)) for hp, u in zip(self.hyperparameters, row, strict=True)}
            for row in points
        ]


class RandomSampler(Sampler):
    """Independent uniform draws in the unit cube (log scaling applied by the space)."""

    name = "random"

    def unit_points(self, n: int) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        return rng.random((n, len(self.hyperparameters)))


class QuasiRandomSampler(Sampler):
    """Scrambled Halton points (a different scramble per seed)."""

    name = "quasi_random"

    def unit_points(self, n: int) -> np.ndarray:
        return scrambled_halton(n, len(self.hyperparameters), self.seed)


def scrambled_halton(n: int, d: int, seed: int) -> np.ndarray:
    """The first n points of `scipy.stats.qmc.Halton(d, scramble=True, seed=seed)`, bit for bit
    (tests/search/test_samplers.py checks it): per dimension, a van der Corput sequence in the next prime
    base whose digits go through random permutations (Owen's randomised Halton), one permutation
    per digit position, drawn by the seed's numpy generator in scipy's order."""
    rng = np.random.default_rng(seed)
    columns = []
    for base in _primes(d):
        digits = math.ceil(54 / math.log2(base)) - 1  # until base**-k vanishes in a double
        permutations = np.repeat(np.arange(base)[None], digits, axis=0)
        for permutation in permutations:
            rng.shuffle(permutation)
        quotient, column, scale = np.arange(n, dtype=np.int64), np.zeros(n), 1 / base
        for permutation in permutations:  # the same additions, in scipy's order
            column += permutation[quotient % base] * scale
            scale /= base
            quotient //= base
        columns.append(column)
    return np.array(columns).T.reshape(n, d)


def _primes(count: int) -> list[int]:
    primes: list[int] = []
    candidate = 2
    while len(primes) < count:
        if all(candidate % p for p in primes if p * p <= candidate):
            primes.append(candidate)
        candidate += 1
    return primes


class GridSampler(Sampler):
    """Every combination of each dimension's grid values; `n` truncates the grid if given."""

    name = "grid"

    def __init__(self, hyperparameters, seed: int = 0, points_per_range: int = 3):
        super().__init__(hyperparameters, seed)
        self.points_per_range = points_per_range

    def size(self) -> int:
        return int(np.prod([len(hp.grid(self.points_per_range)) for hp in self.hyperparameters]))

    def suggest(self, n: int | None = None) -> list[dict[str, Any]]:
        axes = [hp.grid(self.points_per_range) for hp in self.hyperparameters]
        combos = itertools.product(*axes)
        if n is not None:
            combos = itertools.islice(combos, n)
        names = [hp.name for hp in self.hyperparameters]
        return [dict(zip(names, combo, strict=True)) for combo in combos]


SAMPLERS = {cls.name: cls for cls in (RandomSampler, QuasiRandomSampler, GridSampler)}


def make_sampler(algorithm: str, hyperparameters: list[Hyperparameter], seed: int,
                 points_per_range: int = 3) -> Sampler:
    if algorithm not in SAMPLERS:
        raise ValueError(f"search.algorithm: {algorithm!r} is not one of {sorted(SAMPLERS)}")
    if algorithm == "grid":
        return GridSampler(hyperparameters, seed, points_per_range)
    return SAMPLERS[algorithm](hyperparameters, seed)
