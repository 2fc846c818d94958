# All runs -> runs.csv (one row per run) -> trials.csv (mean/std/min over seeds, per period and
# overall), and every run's curves -> curves.parquet, in one job.
# Collection goes through one part per phase (tunelab.collect): the exploration's runs, and each
# adaptive round's. A round's suggest checkpoint then re-plans only its own collect_round job (and
# `all`): the jobs after it list a handful of parts, not every run of the study.


include: "inputs/analyze.smk"


rule collect_exploration:
    input:
        metrics=rung_aware_files("metrics.json"),
        curves=rung_aware_files("curves.csv"),
    output:
        blocks="results/{study}/collected/exploration.blocks.jsonl",
        curves="results/{study}/collected/exploration.curves.parquet",
    log:
        "logs/{study}/collected/exploration.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/collect_part.py"


rule collect_round:
    input:
        metrics=get_round_runs("metrics.json"),
        curves=get_round_runs("curves.csv"),
    output:
        blocks="results/{study}/collected/{group}/round{round}.blocks.jsonl",
        curves="results/{study}/collected/{group}/round{round}.curves.parquet",
    log:
        "logs/{study}/collected/{group}/round{round}.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/collect_part.py"


# One job for the three tables (tunelab.collect.collect_study_file): each was a job of its own,
# about 0.4 s of Python and pandas start-up for a few milliseconds of work.
rule collect:
    input:
        parts=get_parts("blocks.jsonl"),
        curves=get_parts("curves.parquet"),
        rounds=get_round_paths,  # the adaptive rounds' files: each trial's phase and round
    output:
        runs="results/{study}/runs.csv",
        trials="results/{study}/trials.csv",
        curves="results/{study}/curves.parquet",
    params:
        objective=lambda w: get_study(w).study.objective,
    log:
        "logs/{study}/collect.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/collect.py"


# The playbook's evidence (tunelab.analysis): the three variances, the checklist, and
# adopt-or-reject. The candidates are known only after the runs, so choosing them is a checkpoint;
# `decide` then asks for the confirmation runs of the baseline and the candidates (extra `train`
# jobs: blocks of seeds after the study's own, e.g. s3-7) on every period.


rule variance:
    input:
        trials="results/{study}/trials.csv",
        plan="results/{study}/plan.csv",
    output:
        csv="results/{study}/variance.csv",
        json="results/{study}/variance.json",
    params:
        context=get_context,
    log:
        "logs/{study}/variance.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/variance.py"


# Which hyperparameters matter (fANOVA importance with its 5-95% range over resampled trials,
# periods and seeds, pooled and per period; tunelab.analysis.importance): importance.csv and its
# figure come from the study's plots job (report.smk), which reads the same tables.


rule checklist:
    input:
        trials="results/{study}/trials.csv",
        runs="results/{study}/runs.csv",
        curves="results/{study}/curves.parquet",
        baselines=lambda w: data_pages(w.study, "baselines.csv"),
    output:
        md="results/{study}/checklist.md",
        json="results/{study}/checklist.json",
    params:
        context=get_context,
    log:
        "logs/{study}/checklist.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/checklist.py"


checkpoint select_candidates:
    input:
        "results/{study}/trials.csv",
    output:
        "results/{study}/candidates.json",
    priority: 45  # before the plots: the confirmation runs wait for it, only the report for them
    params:
        context=get_context,
    log:
        "logs/{study}/select_candidates.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/select_candidates.py"


rule decide:
    input:
        candidates="results/{study}/candidates.json",
        metrics=get_confirmation("metrics.json"),
        tests=get_confirmation("test.json"),
        baselines=lambda w: data_pages(w.study, "baselines.csv"),  # the simple forecasts to beat
    output:
        md="results/{study}/decision.md",
        json="results/{study}/decision.json",
    params:
        context=get_context,
    log:
        "logs/{study}/decide.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/decide.py"
