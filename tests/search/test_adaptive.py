"""The adaptive phase's optimiser (tunelab.search.adaptive) and its study keys, without Snakemake."""

import json
import math
import random
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, tiny_study
from tunelab.search.adaptive import Round, encode, hedge_weights
from tunelab.search.plan import trial_id
from tunelab.search.rounds import groups, suggest_spec
from tunelab.search.samplers import QuasiRandomSampler
from tunelab.study import StudyError, study_from_dict


def adaptive_study(hyperparameters=None, **then):
    study = tiny_study(search={"algorithm": "quasi_random", "budget": 8, "mode": "joint",
                               "then": {"algorithm": "bayesian", "rounds": 2, "batch": 3, **then}})
    study["hyperparameters"] = hyperparameters or {
        "learning_rate": {"role": "nuisance", "min": 1.0e-4, "max": 1.0, "scaling": "log"},
        "hidden_size": {"role": "nuisance", "feasible_points": [8, 16, 32]},
        "epochs": 3,
    }
    return study_from_dict(study, "adaptive")


def lr_objective(values):
    """A bowl in log10(learning_rate) around 3e-3; learning rates above 0.1 always diverge."""
    lr = values["learning_rate"]
    if lr > 0.1:
        return None
    return 0.1 + (math.log10(lr) + 2.5) ** 2 + 0.01 * values.get("hidden_size", 8) / 32


def explore(study, objective, n=8):
    dims = [study.space[n_] for n_ in suggest_spec(study, "all", 1)["searched"]]
    return [entry(study, draw, objective) for draw in QuasiRandomSampler(dims, 0).suggest(n)]


def entry(study, draw, objective):
    spec = suggest_spec(study, "all", 1)
    rnd = Round(spec, [], {})
    values = rnd.trial(encode(rnd.dims, draw), 0).values
    y = objective(values)
    return {"trial": trial_id(study.architecture, values), "values": values, "feasible": y is not None,
            "objective": y, "var": None if y is None else 1.0e-4}


def run_rounds(study, history, objective, rounds=2):
    """Rounds 1..rounds in memory: suggest, 'train' (evaluate objective), repeat."""
    drawn, proposed = {}, []
    for k in range(1, rounds + 1):
        spec = suggest_spec(study, "all", k)
        trials, names = Round(spec, history, drawn).suggest()
        drawn.update({t.id: a for t, a in zip(trials, names, strict=True)})
        proposed.append(trials)
        history = history + [entry(study, t.values, objective) for t in trials]
    return proposed


def write_blocks(root, study, history, periods=("v2020-05", "v2020-06"), seeds=2):
    """metrics.json files as training jobs write them, one block per trial and period."""
    paths = []
    for h in history:
        for p, period in enumerate(periods):
            runs = []
            for seed in range(seeds):
                ok = h["feasible"]
                value = h["objective"] * (1 + 0.01 * (p - 0.5)) + 0.001 * seed if ok else float("nan")
                runs.append({"seed": seed, "status": "ok" if ok else "diverged", "reason": "" if ok else "nan loss",
                             "valid_mse": value, "valid_mae": value, "best_epoch": 1, "epochs_run": 2,
                             "train_time": 0.1, "train_examples": 10, "valid_examples": 5})
            path = root / period / h["trial"] / "s0-1" / "metrics.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"study": study.name, "period": period, "trial": h["trial"],
                                        "group": "", "hyperparameters": h["values"], "runs": runs}))
            paths.append(str(path))
    return paths


SUGGEST = """
import json, sys
from tunelab.collect import collect_part_file, group_history
from tunelab.search.adaptive import suggest_file
spec, paths, out = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
collect_part_file(paths, [], out + ".blocks.jsonl", out + ".curves.parquet")  # the collected part
suggest_file(spec, group_history([out + ".blocks.jsonl"], spec["label"], spec["objective"]), [], out)
"""


def test_suggestions_are_byte_identical_across_fresh_processes_and_history_orders(tmp_path):
    study = adaptive_study(acquisition="portfolio")
    paths = write_blocks(tmp_path / "runs", study, explore(study, lr_objective))
    spec = suggest_spec(study, "all", 1)
    shuffled = list(paths)
    random.Random(1).shuffle(shuffled)
    outputs = []
    for i, order in enumerate([paths, shuffled]):
        out = tmp_path / f"round{i}.csv"
        subprocess.run([sys.executable, "-c", SUGGEST, json.dumps(spec), json.dumps(order), str(out)],
                       check=True, cwd=REPO, capture_output=True)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    rows = outputs[0].decode().splitlines()
    assert len(rows) == 1 + 3  # header + the batch
    assert len({r.split(",")[0] for r in rows[1:]}) == 3  # three distinct new trials


def test_a_group_learns_from_its_own_blocks_of_a_part_that_holds_every_group(tmp_path):
    from tunelab.collect import collect_part_file, group_history
    from tunelab.search.adaptive import suggest_file

    study = adaptive_study()
    mine = write_blocks(tmp_path / "mine", study, explore(study, lr_objective))
    others = write_blocks(tmp_path / "others", study, explore(study, lambda v: 1.0 / v["learning_rate"]))
    for i, path in enumerate(others):  # another group's trials, in the same exploration part
        block = json.loads(Path(path).read_text())
        other = {**block, "group": "hidden_size=8", "trial": f"t{i // 2:08x}"}
        Path(path).write_text(json.dumps(other))
    spec = suggest_spec(study, "all", 1)
    outputs = []
    for name, paths in (("alone", mine), ("mixed", others[:5] + mine + others[5:])):
        part = str(tmp_path / f"{name}.blocks.jsonl")
        collect_part_file(paths, [], part, str(tmp_path / f"{name}.curves.parquet"))
        history = group_history([part], spec["label"], spec["objective"])
        rows = suggest_file(spec, history, [], str(tmp_path / f"{name}.csv"))
        outputs.append((tmp_path / f"{name}.csv").read_bytes())
        assert rows
    assert outputs[0] == outputs[1]


def test_the_optimiser_sees_the_leaderboards_objective(tmp_path):
    from tunelab.collect import runs_table, summarise, trial_history

    study = adaptive_study()
    paths = write_blocks(tmp_path, study, explore(study, lr_objective))
    board = summarise(runs_table(paths)).query("period == 'all'").set_index("trial")
    for h in trial_history(paths, "valid_mse"):
        if h["feasible"]:
            assert h["objective"] == pytest.approx(board.loc[h["trial"], "objective_mean"], rel=1e-11)
            assert h["var"] == pytest.approx(board.loc[h["trial"], "objective_std"] ** 2 / 4, rel=1e-9)
        else:
            assert math.isnan(board.loc[h["trial"], "objective_mean"])


def test_later_rounds_stay_out_of_a_region_that_always_diverges():
    study = adaptive_study(acquisition="portfolio")
    history = explore(study, lr_objective)
    assert any(not h["feasible"] for h in history)  # the exploration found the diverging region
    for trials in run_rounds(study, history, lr_objective, rounds=2):
        assert len(trials) == 3
        assert all(t.values["learning_rate"] < 0.1 for t in trials), [t.values for t in trials]


@pytest.mark.parametrize("acquisition", ["nei", "ei", "pi", "ucb"])
def test_each_acquisition_moves_towards_the_optimum(acquisition):
    study = adaptive_study(acquisition=acquisition)
    history = explore(study, lr_objective)
    best_explored = min(h["objective"] for h in history if h["feasible"])
    trials = run_rounds(study, history, lr_objective, rounds=1)[0]
    assert min(lr_objective(t.values) for t in trials) < best_explored


def test_a_round_where_everything_diverged_still_completes():
    study = adaptive_study()
    history = explore(study, lambda values: None)
    trials, names = Round(suggest_spec(study, "all", 1), history, {}).suggest()
    assert len(trials) == 3 and set(names) == {"quasi_random"}
    assert not {t.id for t in trials} & {h["trial"] for h in history}


def test_conditional_hyperparameters_exist_only_where_they_apply():
    study = adaptive_study({
        "optimizer": {"role": "nuisance", "feasible_points": ["sgd", "adam"]},
        "learning_rate": {"role": "nuisance", "min": 1.0e-4, "max": 1.0, "scaling": "log"},
        "momentum": {"role": "nuisance", "min": 0.5, "max": 0.99},
        "epochs": 3,
    }, acquisition="ei")

    def objective(values):
        base = lr_objective(values)
        if base is None:
            return None
        return base + (0.0 if values["optimizer"] == "adam" else 1 - values["momentum"])

    for trials in run_rounds(study, explore(study, objective), objective, rounds=2):
        for t in trials:
            assert ("momentum" in t.values) == (t.values["optimizer"] == "sgd")
            assert ("beta2" in t.values) == (t.values["optimizer"] == "adam")
            assert t.id == trial_id("mlp", t.values)


def test_portfolio_gives_more_slots_to_the_acquisition_whose_trials_did_best():
    history = [{"trial": f"t{i}", "feasible": True, "objective": float(i)} for i in range(6)]
    drawn = {"t0": "ucb", "t1": "ucb", "t4": "ei", "t5": "pi"}
    ei, pi, ucb = hedge_weights(history, drawn)
    assert ucb > ei > pi and sum((ei, pi, ucb)) == pytest.approx(1.0)
    assert hedge_weights(history, {}) == pytest.approx([1 / 3] * 3)


def test_per_scientific_mode_searches_the_nuisance_space_per_scientific_value():
    study = tiny_study(search={"algorithm": "quasi_random", "budget": 4,
                               "then": {"algorithm": "bayesian", "batch": 2}})
    study["hyperparameters"] = {"hidden_size": {"role": "scientific", "feasible_points": [8, 16]},
                                "learning_rate": {"role": "nuisance", "min": 1.0e-4, "max": 1.0,
                                                  "scaling": "log"}}
    study = study_from_dict(study, "ps")
    assert list(groups(study)) == ["hidden_size-8", "hidden_size-16"]
    spec = suggest_spec(study, "hidden_size-16", 2)
    assert spec["searched"] == ["learning_rate"] and spec["fixed"] == {"hidden_size": 16}
    trials, _ = Round(spec, [], {}).suggest()
    assert len(trials) == 2 and all(t.values["hidden_size"] == 16 for t in trials)
    assert spec["then"] == {"algorithm": "bayesian", "rounds": 3, "batch": 2, "acquisition": "nei",
                            "ucb_beta": 2.0, "seed": 0}
    assert study.adaptive_trials == 6 and study.trial_count == (4 + 6) * 2  # the schema's rounds: 3


@pytest.mark.parametrize("then, message", [
    ({"algorithm": "bayesian", "acquisition": "lcb"}, "search.then.acquisition: 'lcb'"),
    ({"algorithm": "bayesian", "batch": 0}, "search.then.batch: 0"),
    ({"algorithm": "bayesian", "rounds": 2, "size": 4}, "search.then.size: unknown key"),
    ({"rounds": 2}, "search.then.algorithm: required key is missing"),
    ({"algorithm": "tpe"}, "search.then.algorithm: 'tpe'"),
])
def test_bad_adaptive_keys_name_the_key_and_the_value(then, message):
    with pytest.raises(StudyError, match=message.replace(".", r"\.")):
        study_from_dict(tiny_study(search={"then": then}), "bad")


def test_an_adaptive_phase_with_nothing_to_search_is_refused(workdir, monkeypatch):
    from conftest import write_study
    from tunelab.workflow import plan_study

    study = tiny_study(search={"then": {"algorithm": "bayesian"}})
    study["hyperparameters"] = {"hidden_size": {"role": "scientific", "feasible_points": [8, 16]},
                                "learning_rate": 3.0e-3}
    monkeypatch.chdir(workdir)
    path = write_study(workdir, "nothing", study)
    with pytest.raises(StudyError, match="search.then: the adaptive phase has nothing to search"):
        plan_study(path, {"month": "2026-11"})


# --- warm start across months (issue 24): rows carried over from an earlier month ---------------

def monthly(study, month, objective, n=8, seed=0):
    dims = [study.space[n_] for n_ in suggest_spec(study, "all", 1)["searched"]]
    return [{**entry(study, draw, objective), "month": month}
            for draw in QuasiRandomSampler(dims, seed).suggest(n)]


def shifted(values):
    """Last month's landscape: the same bowl, its optimum a decade lower in learning rate."""
    y = lr_objective(values)
    return None if y is None else y + 2 * (math.log10(values["learning_rate"]) + 2.5) + 1.0


def test_rows_carried_from_an_earlier_month_change_the_proposal_and_stay_deterministic():
    study = adaptive_study(acquisition="ei")
    spec = {**suggest_spec(study, "all", 1), "month": "2026-12"}
    mine = monthly(study, "2026-12", lr_objective, n=4)
    carried = monthly(study, "2026-11", shifted, n=8, seed=1)
    alone = [t.id for t in Round(spec, mine, {}).suggest()[0]]
    with_carried = [[t.id for t in Round(spec, order, {}).suggest()[0]]
                    for order in (mine + carried, list(reversed(carried + mine)))]
    assert with_carried[0] == with_carried[1]  # deterministic, whatever the history's order
    assert with_carried[0] != alone  # the carried trials inform the model
    rnd = Round(spec, mine + carried, {})
    assert rnd.known == {h["trial"] for h in mine}  # a carried trial may be proposed again this month
    assert sum(rnd.mine) == len(mine)


ROUND = """
import json, sys
from tunelab.search.adaptive import Round
trials, names = Round(json.loads(sys.argv[1]), json.loads(sys.argv[2]), {}).suggest()
print(json.dumps([[t.id for t in trials], names]))
"""


def test_a_round_with_carried_rows_is_the_same_in_fresh_processes():
    study = adaptive_study(acquisition="nei")
    spec = {**suggest_spec(study, "all", 1), "month": "2026-12"}
    history = monthly(study, "2026-12", lr_objective, n=4) + monthly(study, "2026-11", shifted, n=8, seed=1)
    outputs = [subprocess.run([sys.executable, "-c", ROUND, json.dumps(spec), json.dumps(order)], check=True,
                              cwd=REPO, capture_output=True, text=True).stdout
               for order in (history, history[::-1])]
    assert outputs[0] == outputs[1] and len(json.loads(outputs[0])[0]) == 3


def test_rows_of_this_month_alone_give_the_same_round_as_rows_without_a_month():
    study = adaptive_study(acquisition="portfolio")
    history = explore(study, lr_objective)
    spec = suggest_spec(study, "all", 1)
    plain = Round(spec, history, {}).suggest()
    dated = Round({**spec, "month": "2026-12"}, [{**h, "month": "2026-12"} for h in history], {}).suggest()
    assert [t.id for t in plain[0]] == [t.id for t in dated[0]] and plain[1] == dated[1]


def test_carried_trials_count_towards_enough_feasible_trials_to_fit_a_model():
    study = adaptive_study(acquisition="ei")
    spec = {**suggest_spec(study, "all", 1), "month": "2026-12"}
    mine = monthly(study, "2026-12", lr_objective, n=1)
    assert set(Round(spec, mine, {}).suggest()[1]) == {"quasi_random"}
    carried = monthly(study, "2026-11", lr_objective, n=6, seed=1)
    assert set(Round(spec, mine + carried, {}).suggest()[1]) == {"ei"}
