# Validate the selected studies and plan them in memory (no file is written at parse time).
import sys

from tunelab.workflow import USER_ERRORS, datasets, load_studies
from tunelab.workflow import threads_warnings
from tunelab.workflow import missing_runs_note
from tunelab.workflow import study_rounds
from tunelab.workdir_guard import check as workdir_check
from types import SimpleNamespace
from tunelab.analysis.study_context import study_context
from tunelab.sanity.rule_targets import sanity_targets


if workflow.is_main_process:  # before Snakemake's lock: is another Snakemake working here?
    refusal, note = workdir_check(sys.argv)
    if refusal:
        sys.stderr.write(f"tunelab: {refusal}\n")
        sys.exit(1)
    if note:
        print(f"tunelab: note: {note}", file=sys.stderr)

try:
    STUDIES = load_studies(config)
except USER_ERRORS as exc:
    sys.stderr.write(f"tunelab: invalid study: {exc}\n")
    sys.exit(1)

DATASETS = datasets(STUDIES)
if workflow.is_main_process:  # cluster jobs too get at most --cores threads
    for warning in threads_warnings(STUDIES, workflow.global_resources.get("_cores").value):
        print(warning, file=sys.stderr)
    for sp in STUDIES.values():  # skipped periods, a search with fewer distinct trials than asked
        for note in [*sp.notes, missing_runs_note(sp)]:
            if note:
                print(f"tunelab: note: {note}", file=sys.stderr)


wildcard_constraints:
    study=r"[A-Za-z0-9_.-]+",
    period=r"v[0-9]{4}-[0-9]{2}(-[0-9]{2})?",
    trial=r"t[0-9a-f]{8}",
    block=r"s[0-9]+(-[0-9]+)?",
    job_group=r"g[0-9a-f]{8}",


def get_study(wildcards):
    return STUDIES[wildcards.study]


def get_context(wildcards):
    """What the analysis rules need to know about the study (tunelab.analysis.study_context)."""
    sp = get_study(wildcards)
    return study_context(sp.study, sp.plan, sp.rungs)


def run_targets(wildcards):
    """Every run of every selected study, as a target of the `all` rule, so Snakemake retrains a run
    whose files were deleted even when the tables collected from it are newer (ENGINE_NOTES:
    missing intermediate files). A study's last checkpoint, select_candidates, is asked for first:
    until it has run, `all` waits on it alone and lists no run, so the many re-plans of a study
    with rounds and rungs (Snakemake re-evaluates every job still waiting on a checkpoint after
    each one) stay cheap; then every run joins at once, in the same call."""
    files = []
    for name, sp in STUDIES.items():
        study = SimpleNamespace(study=name)
        confirming = get_confirmation("metrics.json")(study)
        rounds = [SimpleNamespace(study=name, group=g, round=k) for g, k in study_rounds(sp)]
        files += rung_aware_files("metrics.json")(study)
        files += [f for w in rounds for f in get_round_runs("metrics.json")(w)] + confirming
    return files


def final_outputs():
    targets = []
    for name in STUDIES:
        targets += [
            f"results/{name}/periods.csv",
            f"results/{name}/plan.csv",
            f"results/{name}/runs.csv",
            f"results/{name}/trials.csv",
        ]
        if STUDIES[name].rungs is not None:  # successive halving (rungs.smk)
            targets += [f"results/{name}/rungs.{ext}" for ext in ("csv", "json", "md")]
        targets += analysis_outputs(name)  # plots, checklist, decision, report (report.smk)
        targets += sanity_targets(STUDIES[name])  # data report, baselines, sanity checks (sanity.smk)
    return targets
