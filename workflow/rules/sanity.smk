# Sanity checks beside every study: the data report, simple baselines and overfit-a-tiny-batch (the
# training-dynamics flags are computed with the study's figures: report.smk). And the fidelity study
# of cheap settings (`snakemake fidelity`): the study's trials trained again with a shorter training
# window and fewer epochs, through the train rule itself, then ranked against the full study.
import sys

from tunelab.sanity.fidelity import SETTING_RE
from tunelab.train.check import check_params
from tunelab.sanity.rule_targets import (
    fidelity_outputs,
    fidelity_plans,
    fidelity_spec_json,
    overfit_params,
    period_windows,
    setting_rows,
)


try:
    FIDELITY = fidelity_plans(STUDIES)
except USER_ERRORS as exc:
    sys.stderr.write(f"tunelab: invalid study: {exc}\n")
    sys.exit(1)


wildcard_constraints:
    setting=SETTING_RE,


# The checks that read the study's data file, in one job (tunelab.sanity.checks): what the data
# look like (data_report.md), what simple forecasts score (baselines.csv) and whether each distinct
# model can memorise 16 examples (sanity.md). It runs before the training jobs (priority), so a
# suspect pipeline shows up before the budget is spent.
rule sanity:
    input:
        get_prepared,
    output:
        data_report="results/{study}/data_report.md",
        data_report_png="results/{study}/plots/data_report.png",
        baselines="results/{study}/baselines.csv",
        overfit="results/{study}/sanity.md",
    params:
        dataset=lambda w: get_study(w).study.dataset.name,
        windows=lambda w: period_windows(get_study(w)),
        lags=lambda w: get_study(w).study.task.lags,
        horizon=lambda w: get_study(w).study.task.horizon,
        check=lambda w: overfit_params(get_study(w)),
    log:
        "logs/{study}/sanity.log",
    priority: 50
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/sanity.py"


# A trainer of the user's (trainer.command, or a model of theirs in tunelab's loop): one trial at a
# tiny budget, trained a few times, says which of tunelab's promises it keeps; the report says what
# a broken one means for its evidence. The same check as `tunelab check-trainer`.
rule check_trainer:
    input:
        get_prepared,
    output:
        md="results/{study}/trainer_check.md",
        json="results/{study}/trainer_check.json",
    params:
        check=lambda w: check_params(get_study(w)),
        scratch=lambda w: f"results/{w.study}/.trainer_check",
    log:
        "logs/{study}/trainer_check.log",
    priority: 50
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/check_trainer.py"


# The training-dynamics check (tunelab.sanity.dynamics: dynamics.md, plots/norms.png) runs in the
# study's plots job (report.smk), which reads the same curves and tables.


# A cheap training job is a train job with another spec (shorter window, epoch cap) and other paths.
# It trains its own trial alone: never through the study's job groups (trials_per_job), whose
# files are the full-fidelity runs'.
use rule train as train_fidelity with:
    input:
        data=TRAIN_DATA,
    output:
        metrics="results/{study}/fidelity/{setting}/runs/{period}/{trial}/{block}/metrics.json",
        curves="results/{study}/fidelity/{setting}/runs/{period}/{trial}/{block}/curves.csv",
        test="results/{study}/fidelity/{setting}/runs/{period}/{trial}/{block}/test.json",
        models="results/{study}/fidelity/{setting}/runs/{period}/{trial}/{block}/models.pt",
    params:
        spec=lambda w: fidelity_spec_json(get_study(w), FIDELITY[w.study], w.setting, w.period, w.trial,
                                          w.block),
        entry=RUN_ENTRY,
    log:
        "logs/{study}/fidelity/{setting}/{period}/{trial}/{block}.log",


rule fidelity_report:
    input:
        full="results/{study}/runs.csv",
        cheap=lambda w: FIDELITY[w.study].metrics_files(),
    output:
        csv="results/{study}/fidelity/fidelity.csv",
        png="results/{study}/fidelity/fidelity.png",
        md="results/{study}/fidelity/fidelity.md",
    params:
        objective=lambda w: get_study(w).study.objective,
        periods=lambda w: [p.id for p in FIDELITY[w.study].periods],
        settings=lambda w: setting_rows(FIDELITY[w.study]),
        threshold=lambda w: FIDELITY[w.study].threshold,
        skipped=lambda w: list(FIDELITY[w.study].skipped),
    log:
        "logs/{study}/fidelity/report.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/fidelity.py"


# `snakemake fidelity --config study=NAME`: the fidelity study of each selected study.
rule fidelity:
    input:
        [path for name in FIDELITY for path in fidelity_outputs(name)],
