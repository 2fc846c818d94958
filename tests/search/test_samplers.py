"""One contract suite run over every sampler, plus what is particular to each."""

import math

import pytest
from tunelab.search.samplers import SAMPLERS, GridSampler, QuasiRandomSampler, make_sampler
from tunelab.study.space import parse_entry

SPACE = [
    parse_entry("learning_rate", {"role": "nuisance", "min": 1.0e-5, "max": 1.0, "scaling": "log"}),
    parse_entry("dropout", {"role": "nuisance", "min": 0.0, "max": 0.5}),
    parse_entry("hidden_size", {"role": "nuisance", "min": 8, "max": 512, "type": "int", "scaling": "log"}),
    parse_entry("optimizer", {"role": "nuisance", "feasible_points": ["sgd", "adam"]}),
]


@pytest.fixture(params=sorted(SAMPLERS))
def algorithm(request):
    return request.param


def suggest(algorithm, seed, n=32):
    return make_sampler(algorithm, SPACE, seed, points_per_range=3).suggest(n)


def test_equal_seeds_give_equal_trials(algorithm):
    assert suggest(algorithm, 7) == suggest(algorithm, 7)


@pytest.mark.parametrize("algorithm", ["random", "quasi_random"])  # a grid ignores its seed
def test_other_seeds_give_other_trials(algorithm):
    assert suggest(algorithm, 1) != suggest(algorithm, 2)


def test_every_value_inside_its_space(algorithm):
    for trial in suggest(algorithm, 3):
        for hp in SPACE:
            assert hp.contains(trial[hp.name]), (hp.name, trial[hp.name])
        assert isinstance(trial["hidden_size"], int)


def test_log_scales_respected(algorithm):
    """On a log scale, half of the points fall below the geometric midpoint (1e-5..1 -> ~3e-3)."""
    if algorithm == "grid":
        values = sorted({t["learning_rate"] for t in suggest(algorithm, 0, n=None)})
        assert values == [1.0e-5, pytest.approx(3.162e-3, rel=1e-3), 1.0]
        return
    values = [t["learning_rate"] for t in suggest(algorithm, 0, n=400)]
    below = sum(v < math.sqrt(1.0e-5 * 1.0) for v in values) / len(values)
    assert 0.4 < below < 0.6
    assert sum(v < 0.1 for v in values) / len(values) > 0.7  # a linear scale would give ~0.1


def test_quasi_random_covers_the_space_more_evenly_than_its_size_suggests():
    points = QuasiRandomSampler(SPACE[:2], seed=0).unit_points(64)
    # every 1/8 x 1/8 cell of the first two dimensions' 8x8 grid holds exactly one Halton point
    # for bases 2 and 3 only loosely; ask the weaker property: each 1/8 strip of dim 0 gets 8 points
    strips = [int(u * 8) for u in points[:, 0]]
    assert sorted(strips.count(i) for i in range(8)) == [8] * 8


@pytest.mark.parametrize("d", [1, 2, 3, 7])
@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_quasi_random_gives_scipys_halton_points_bit_for_bit(d, seed):
    """tunelab computes the scrambled Halton points without importing scipy.stats (a second of
    every snakemake call); they must be the very points scipy gives, so plans stay as they were."""
    from scipy.stats import qmc
    from tunelab.search.samplers import scrambled_halton

    for n in (1, 6, 1667):
        expected = qmc.Halton(d=d, scramble=True, seed=seed).random(n)
        assert scrambled_halton(n, d, seed).tobytes() == expected.tobytes()


def test_grid_enumerates_every_combination():
    grid = GridSampler(SPACE, points_per_range=3)
    trials = grid.suggest()
    assert len(trials) == grid.size() == 3 * 3 * 3 * 2
    assert len({tuple(sorted(t.items())) for t in trials}) == len(trials)


def test_unknown_algorithm_is_named():
    with pytest.raises(ValueError, match="bayes"):
        make_sampler("bayes", SPACE, 0)
