"""A study file is validated before any job starts; a bad one gets one message naming the key."""

import pytest
import yaml
from conftest import tiny_study
from tunelab.study import StudyError, load_study, study_from_dict


def drop(path):
    def edit(study):
        *parents, last = path.split(".")
        node = study
        for p in parents:
            node = node[p]
        del node[last]
        return study
    return edit


def put(path, value):
    def edit(study):
        *parents, last = path.split(".")
        node = study
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
        return study
    return edit


HP = "hyperparameters"
MALFORMED = [
    # (edit, text the message must contain: the key, and the offending value or rule)
    (drop("dataset"), "dataset: required"),
    (drop("dataset.target"), "dataset.target: required"),
    (drop("task.lags"), "task.lags: required"),
    (drop("architecture"), "architecture: required"),
    (put("architecture", "transformer"), "architecture: 'transformer'"),
    (put("colour", "blue"), "colour: unknown key"),
    (put("dataset.sheet", 2), "dataset.sheet: unknown key"),
    (put("task.horizon", 0), "task.horizon: 0"),
    (put("task.lags", "24"), "task.lags: '24'"),
    (put("periods.train_months", -1), "periods.train_months: -1"),
    (put("periods.month", "2024-13"), "periods.month: '2024-13'"),
    (put("periods.count", 0), "periods.count: 0"),
    (put("periods.ranges", [{"train": ["2020-01-01", "2020-03-01"]}]), "periods.ranges.0.valid: required"),
    (put("periods.ranges", [{"train": ["2020-03-01", "2020-01-01"], "valid": ["2020-03-01", "2020-04-01"]}]),
     "periods.ranges.0.train"),
    (put("periods.ranges", [{"train": ["2020-01-01", "2020-04-01"], "valid": ["2020-03-01", "2020-05-01"]}]),
     "periods.ranges.0.valid"),
    (put("search.algorithm", "bayes"), "search.algorithm: 'bayes'"),
    (put("search.budget", 0), "search.budget: 0"),
    (put("seeds", 0), "seeds: 0"),
    (put("objective", "accuracy"), "objective: 'accuracy'"),
    (put("device", "tpu"), "device: 'tpu'"),
    (put(f"{HP}.learning_rate", {"role": "nuisance", "min": "1e-4", "max": 0.1}),
     "hyperparameters.learning_rate.min: '1e-4' is a string"),
    (put(f"{HP}.learning_rate", {"role": "nuisance", "min": 0.1, "max": 0.01}),
     "hyperparameters.learning_rate: min 0.1 >= max 0.01"),
    (put(f"{HP}.learning_rate", {"role": "nuisance", "min": 0.0, "max": 0.1, "scaling": "log"}),
     "hyperparameters.learning_rate.min: 0.0 with scaling 'log'"),
    (put(f"{HP}.learning_rate", {"role": "important", "min": 0.001, "max": 0.1}),
     "hyperparameters.learning_rate"),
    (put(f"{HP}.learning_rate", {"role": "nuisance", "min": 0.001, "max": 0.1, "feasible_points": [1]}),
     "hyperparameters.learning_rate"),
    (put(f"{HP}.learning_rate", {"role": "nuisance", "min": 0.001}), "hyperparameters.learning_rate"),
    (put(f"{HP}.learning_rate", {"role": "nuisance", "value": 0.01}),
     "hyperparameters.learning_rate.role: 'nuisance' has a single `value`"),
    (put(f"{HP}.optimizer", "rmsprop"), "hyperparameters.optimizer.value: 'rmsprop'"),
    (put(f"{HP}.optimizer", {"role": "nuisance", "feasible_points": ["adam", "lion"]}),
     "hyperparameters.optimizer.feasible_points: 'lion'"),
    (put(f"{HP}.hidden_size", {"role": "scientific", "feasible_points": [8, 8]}),
     "hyperparameters.hidden_size.feasible_points: [8, 8] repeats"),
    (put(f"{HP}.num_layers", {"role": "nuisance", "min": 1.5, "max": 3, "type": "int"}),
     "hyperparameters.num_layers: min 1.5"),
    (put(f"{HP}.kernel_size", 3), "hyperparameters.kernel_size: not a hyperparameter of architecture 'mlp'"),
    (put(f"{HP}.momentum", {"role": "fixed", "value": 0.9, "when": {"optimiser": ["sgd"]}}),
     "hyperparameters.momentum.when: 'optimiser'"),
    (put("dataset.categorical", ["lead"]), "dataset.categorical: 'lead' is also in dataset.features"),
    (put("dataset.features", ["load"]), "dataset.features: 'load' is the target"),
]


@pytest.mark.parametrize("edit,expected", MALFORMED, ids=[m[1][:48] for m in MALFORMED])
def test_malformed_study_is_rejected_naming_the_key(edit, expected):
    with pytest.raises(StudyError) as info:
        study_from_dict(edit(tiny_study()), name="bad", path="params/bad.yaml")
    message = str(info.value)
    assert message.startswith("params/bad.yaml: ")
    assert expected in message, message
    assert "\n" not in message  # one message, one line


def test_there_are_at_least_twenty_malformed_cases():
    assert len(MALFORMED) >= 20


def test_yaml_1e_minus_4_slip_gets_a_hint(tmp_path):
    path = tmp_path / "slip.yaml"
    study = tiny_study()
    text = yaml.safe_dump(study).replace("- 0.003", "- 3e-3")
    path.write_text(text)
    with pytest.raises(StudyError, match="learning_rate.feasible_points: '3e-3' is a string.*1.0e-4"):
        load_study(path)  # a number written 3e-3 is text to YAML: refused, not a categorical value
    study["hyperparameters"]["learning_rate"] = {"role": "nuisance", "min": "1e-4", "max": 0.1}
    with pytest.raises(StudyError, match="write floats like 1.0e-4"):
        study_from_dict(study, name="slip")


def test_valid_study_gets_defaults():
    study = study_from_dict(tiny_study(), name="tiny")
    assert study.objective == "valid_mse"
    assert study.search.seed == 0 and study.search.mode == "per_scientific"
    assert study.seeds == [0, 1]
    assert [hp.name for hp in study.scientific] == ["hidden_size"]


def test_study_naming_only_the_architecture_is_a_sensible_study():
    minimal = {k: tiny_study()[k] for k in ("dataset", "task")}
    study = study_from_dict({**minimal, "architecture": "lstm"}, name="minimal")
    assert [hp.name for hp in study.nuisance] == ["learning_rate"]
    assert study.search.algorithm == "quasi_random" and study.search.budget >= 4


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(StudyError, match="no such study file"):
        load_study(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("dataset: [unclosed\n")
    with pytest.raises(StudyError, match="not valid YAML"):
        load_study(bad)


def test_yaml_dates_in_ranges_are_accepted(tmp_path):
    path = tmp_path / "dates.yaml"
    study = tiny_study(periods={"ranges": [{"train": ["2020-01-01", "2020-03-01"],
                                            "valid": ["2020-03-01", "2020-04-01"]}]})
    path.write_text(yaml.safe_dump(study).replace("'2020", "2020").replace("01'", "01"))
    assert load_study(path).periods.ranges[0]["train"] == ["2020-01-01", "2020-03-01"]
