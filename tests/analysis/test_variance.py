"""Trial, data and study variance on hand-made runs with known spreads and rankings."""

import numpy as np
import pandas as pd
import pytest
from analysis_data import PERIODS, context, tables, tid, trial
from tunelab.analysis.variance import (
    period_ranks,
    pooled_retrain_std,
    rank_agreement,
    study_variance,
    variance_summary,
    variance_table,
)


def test_pooled_retrain_std_is_the_root_mean_variance_of_the_better_feasible_half():
    good = [trial(0, 0.5, std=0.03), trial(1, 0.6, std=0.04), trial(2, 0.65, std=0.02)]
    bad = [trial(3, 0.7, std=0.5, infeasible=[(PERIODS[0], 1)]), trial(4, 50.0, std=40.0)]
    pooled = pooled_retrain_std(tables(good + bad)[1])
    # period 0: t3 lost a seed (left out), so 4 complete trials, the better 2 pooled
    assert pooled["by_period"][PERIODS[0]] == pytest.approx(np.sqrt((0.03**2 + 0.04**2) / 2))
    # period 1: 5 complete trials, the better 3; the nearly diverged t4 never swamps it
    assert pooled["by_period"][PERIODS[1]] == pytest.approx(np.sqrt((0.03**2 + 0.04**2 + 0.02**2) / 3))
    assert pooled["overall"] == pytest.approx(np.sqrt((2 * 0.03**2 + 2 * 0.04**2 + 0.02**2) / 5))


def test_ranks_and_agreement_when_periods_agree_and_disagree():
    same = [trial(i, {PERIODS[0]: 0.1 * i, PERIODS[1]: 1 + 0.1 * i}) for i in range(1, 5)]
    _, trials = tables(same)
    ranks = period_ranks(trials)
    assert ranks[PERIODS[0]].tolist() == [1, 2, 3, 4]
    agreement = rank_agreement(ranks)
    assert agreement["kendall_w"] == pytest.approx(1.0)
    assert agreement["spearman_mean"] == pytest.approx(1.0)

    reversed_ = [trial(i, {PERIODS[0]: 0.1 * i, PERIODS[1]: 1 - 0.1 * i}) for i in range(1, 5)]
    agreement = rank_agreement(period_ranks(tables(reversed_)[1]))
    assert agreement["spearman_mean"] == pytest.approx(-1.0)
    assert agreement["kendall_w"] == pytest.approx(0.0)


def test_best_on_average_is_not_best_everywhere():
    # t1 wins period 0 by a lot and loses period 1 by a little: best on average only
    _, trials = tables([trial(1, {PERIODS[0]: 0.30, PERIODS[1]: 0.62}),
                        trial(2, {PERIODS[0]: 0.50, PERIODS[1]: 0.60}),
                        trial(3, {PERIODS[0]: 0.60, PERIODS[1]: 0.70})])
    summary = variance_summary(trials, pd.DataFrame({"trial": [], "repeats": []}), {"study_repeats": 1})
    assert summary["best_trial"] == tid(1)
    assert summary["best_trial_ranks"] == {PERIODS[0]: 1, PERIODS[1]: 2}
    assert not summary["best_everywhere"]
    table = variance_table(trials).set_index("trial")
    assert table.loc[tid(1), "best_in"] == 1 and table.loc[tid(2), "best_in"] == 1
    assert table.loc[tid(3), "best_in"] == 0


def test_infeasible_trial_has_no_rank_on_the_period_it_failed():
    _, trials = tables([trial(1, 0.5), trial(2, 0.4, infeasible=[(PERIODS[1], 0)])])
    ranks = period_ranks(trials)
    assert ranks.loc[tid(2), PERIODS[0]] == 1
    assert np.isnan(ranks.loc[tid(2), PERIODS[1]])


def test_study_variance_is_the_spread_of_each_repeats_best():
    _, trials = tables([trial(1, 0.50), trial(2, 0.40), trial(3, 0.45), trial(4, 0.47)])
    plan = pd.DataFrame({"trial": [tid(1), tid(2), tid(3), tid(4)], "repeats": ["0", "1", "1 2", "2 0"]})
    sv = study_variance(trials, plan, repeats=3)
    assert sv["measured"]
    assert sv["best"] == pytest.approx([0.47, 0.40, 0.45])
    assert sv["best_trials"] == [tid(4), tid(2), tid(3)]
    assert sv["std"] == pytest.approx(np.std([0.47, 0.40, 0.45], ddof=1))
    assert not sv["same_best"]
    assert study_variance(trials, plan, repeats=1) == {"repeats": 1, "measured": False}


def test_one_seed_reports_the_retrain_noise_as_unmeasured_not_zero():
    from tunelab.analysis.variance import variance_summary
    from tunelab.report.markdown import variance_lines

    _, trials = tables([trial(i, 0.5 + 0.01 * i) for i in range(4)], seeds=(0,))
    assert trials["objective_std"].isna().all()  # not 0: one seed has no spread to measure
    lines = variance_lines(variance_summary(trials, pd.DataFrame({"trial": []}), context()))
    assert "unmeasured" in lines[0] and "are seed noise" not in lines[0]


@pytest.mark.parametrize("seed", range(40))
def test_rank_agreement_spearman_is_pandas_spearman_to_the_bit(seed):
    """The variance job's Spearman, without scipy.stats, is the float pandas' (scipy's) gives,
    ties and constant columns included."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 30))
    ranks = pd.DataFrame({p: rng.integers(1, 1 + int(rng.integers(1, n + 1)), n).astype(float)
                          for p in ("a", "b", "c")})
    ours = {tuple(p["periods"]): p["spearman"] for p in rank_agreement(ranks)["pairs"]}
    for (a, b), rho in ours.items():
        expected = float(ranks[a].corr(ranks[b], method="spearman"))
        assert rho == expected or (np.isnan(rho) and np.isnan(expected))


def test_the_variance_job_does_not_import_scipy_stats():
    import json
    import subprocess
    import sys

    code = ("import json, sys\nimport pandas as pd\nfrom tunelab.analysis.variance import rank_agreement\n"
            "rank_agreement(pd.DataFrame({'a': [1.0, 2, 3, 4], 'b': [2.0, 1, 3, 4], 'c': [1.0, 2, 4, 3]}))\n"
            "print(json.dumps('scipy.stats' in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) is False
