"""The report says what the adaptive phase bought over the exploration, in units of the search's
retrain std, and how many of its trials sat on an edge of the range."""

from analysis_data import context, tables, tid, trial
from tunelab.report.markdown import adaptive_gain


def test_the_phase_gain_is_in_retrain_stds_and_edge_trials_are_counted():
    search = [trial(0, 0.50, learning_rate=1e-3, weight_decay=1e-4, hidden_size=16),
              trial(1, 0.52, learning_rate=3e-3, weight_decay=1e-4, hidden_size=16),
              trial(2, 0.499, learning_rate=1e-1, weight_decay=1e-4, hidden_size=16),  # the upper edge
              trial(3, 0.505, learning_rate=2e-3, weight_decay=1e-4, hidden_size=16)]
    _, table = tables(search)
    table.loc[table["trial"].isin([tid(2), tid(3)]), "phase"] = "adaptive"
    text = adaptive_gain(table, context(), {"retrain_std": {"overall": 0.02}})
    assert "The adaptive phase's 2 trials improved the exploration's best by 0.001 (0.05x the search's" in text
    assert "1 of them lies on an edge of the search range (within 2.5% of it), the best trial among " \
        "them: the optimum may lie beyond that edge" in text


def test_edge_proposals_that_are_not_the_best_are_not_a_reason_to_widen_the_range():
    """A GP proposes at the edges, where it is least certain; the report said 'widen it (see the
    checklist)' beside a checklist whose edge check (the best trial) was ok."""
    search = [trial(0, 0.50, learning_rate=1e-3), trial(1, 0.52, learning_rate=3e-3),
              trial(2, 0.49, learning_rate=2e-3), trial(3, 0.53, learning_rate=1e-1)]  # 3: the edge
    _, table = tables(search)
    table.loc[table["trial"].isin([tid(2), tid(3)]), "phase"] = "adaptive"
    text = adaptive_gain(table, context(), {"retrain_std": {"overall": 0.02}})
    assert "the best trial is not among them, so this alone is no reason to widen the range" in text
    assert "see the checklist" not in text and "may lie beyond" not in text


def test_an_adaptive_phase_that_found_nothing_better_is_not_said_to_have_improved_by_0():
    search = [trial(0, 0.50, learning_rate=1e-3), trial(1, 0.52, learning_rate=3e-3),
              trial(2, 0.51, learning_rate=2e-3), trial(3, 0.53, learning_rate=4e-3)]
    _, table = tables(search)
    table.loc[table["trial"].isin([tid(2), tid(3)]), "phase"] = "adaptive"
    text = adaptive_gain(table, context(), {"retrain_std": {"overall": 0.02}})
    assert "did not improve on the exploration's best: the best of them is 0.01 behind it " \
        "(0.5x the search's retrain std)" in text
    assert "improved the exploration's best by" not in text


def test_no_adaptive_phase_no_sentence():
    _, table = tables([trial(0, 0.5), trial(1, 0.6)])
    assert adaptive_gain(table, context(), {}) is None
