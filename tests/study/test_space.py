import pytest
from tunelab.study.space import SpaceError, active_values, parse_entry, resolve_space, round_sig


def test_bare_value_is_fixed():
    hp = parse_entry("epochs", 10)
    assert (hp.role, hp.kind, hp.value, hp.searched) == ("fixed", "fixed", 10, False)


def test_log_mapping_hits_both_ends_and_the_geometric_middle():
    hp = parse_entry("lr", {"role": "nuisance", "min": 1.0e-4, "max": 1.0e-2, "scaling": "log"})
    assert hp.from_unit(0.0) == pytest.approx(1.0e-4)
    assert hp.from_unit(0.5) == pytest.approx(1.0e-3)
    assert hp.from_unit(1.0) == pytest.approx(1.0e-2, rel=1e-3)


def test_integer_range_gives_every_integer_an_equal_share():
    hp = parse_entry("layers", {"role": "nuisance", "min": 1, "max": 4, "type": "int"})
    values = [hp.from_unit(i / 400) for i in range(400)]
    assert {v: values.count(v) for v in set(values)} == {1: 100, 2: 100, 3: 100, 4: 100}


def test_round_sig_keeps_four_digits():
    assert round_sig(0.000123456) == 0.0001235
    assert round_sig(123456.0) == 123500.0
    assert round_sig(0.0) == 0.0


def test_conditional_hyperparameters_follow_the_optimizer():
    space = resolve_space("mlp", {"optimizer": {"role": "nuisance", "feasible_points": ["sgd", "adam"]}})
    values = {name: (hp.value if not hp.searched else None) for name, hp in space.items()}
    sgd = active_values(space, {**values, "optimizer": "sgd"})
    adam = active_values(space, {**values, "optimizer": "adam"})
    assert "momentum" in sgd and "beta2" not in sgd
    assert "beta2" in adam and "momentum" not in adam


def test_step_decay_hyperparameters_only_for_step_schedule():
    space = resolve_space("linear", {"schedule": "step"})
    values = {name: hp.value for name, hp in space.items()}
    assert {"step_size", "decay_factor"} <= set(active_values(space, values))
    space = resolve_space("linear", {})
    values = {name: hp.value for name, hp in space.items() if not hp.searched}
    assert "step_size" not in active_values(space, values)


def test_unknown_hyperparameter_names_the_architecture():
    with pytest.raises(SpaceError, match="hyperparameters.channels: not a hyperparameter of architecture 'mlp'"):
        resolve_space("mlp", {"channels": 8})


@pytest.mark.parametrize("arch", ["linear", "mlp", "lstm", "cnn"])
def test_every_architecture_has_a_sensible_default_search(arch):
    space = resolve_space(arch, {})
    searched = [hp.name for hp in space.values() if hp.searched]
    assert searched == ["learning_rate"]


def test_training_hyperparameter_names_match_the_trainer():
    """space.TRAINING_DEFAULTS and train.TrainConfig name the same training hyperparameters."""
    from dataclasses import fields

    from tunelab.study.space import TRAINING_DEFAULTS
    from tunelab.train.loop import TrainConfig

    assert set(TRAINING_DEFAULTS) == {f.name for f in fields(TrainConfig)}


def test_parse_time_modules_do_not_import_torch():
    """The Snakefile's parse-time modules stay light: no torch or matplotlib in the Snakemake process."""
    import subprocess
    import sys

    code = ("import sys, tunelab.workflow, tunelab.sanity.rule_targets, tunelab.analysis.study_context; "
            "print('torch' in sys.modules or 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
