# Validate the selected studies and plan them in memory (no file is written at parse time); the
# globals every stage uses; the targets of `rule all`. A stage's input functions live in
# inputs/<stage>.smk, which <stage>.smk includes before its rules (`snakemake --lint` rejects rules
# and functions in one file); their logic, where it is more than glue, is in tunelab.workflow.
#
# ---- Order of evaluation: read this before moving an input function ----------------------------
# Parse time. The Snakefile includes this file, then the stages in pipeline order, each with its
# inputs/ file first; they all share one namespace. A name that a rule's declaration uses
# (TRAIN_DATA, train_setting(...), get_context, rung_aware_files("..."), get_round_runs("..."),
# get_parts("...")) must be defined here or in a file included before the rule's own; a name used
# only inside a function body is looked up when Snakemake calls it, after every include
# (run_targets below calls functions of later files).
#
# Checkpoints. Three decide what runs after them: suggest (one per adaptive round, search.smk),
# promote (one per bracket and rung, rungs.smk) and select_candidates (one per study, analyze.smk).
# `checkpoints.X.get(...)` raises while X's output is missing: the input function stops at that
# call and its job waits on X's output alone. Once X has run, Snakemake re-evaluates every job that
# depends on X (each of its input functions, from the top), and again after each further
# checkpoint the re-evaluation runs into. A function that asked for its checkpoints earliest first
# would be re-planned after every one of them, each time rebuilding its whole file list (for `all`:
# every run of the study). Hence: a function that needs several checkpoints asks for the LAST one
# FIRST (it is downstream of the others: once it has run, every other get() finds its output), and
# every job after a checkpoint that needs no checkpoint's content lists static paths only.
#
#   input function (inputs/ file; rules)      checkpoints it asks for, in this order
#   round_file, get_round_runs                suggest of its own round only
#       (search.smk; collect_round, all)
#   rung_trials, get_rung_inputs,             promote of the rung before (none at rung 0): each
#   get_promote_context (rungs.smk; promote)    rung waits on the previous promotion only
#   final_rungs_of, rung_aware_files          every promote of the study, the LAST first: the job
#       (rungs.smk; collect_exploration, all)   that collects the runs waits on it alone, and is not
#                                               re-planned after each earlier promotion
#   get_confirmation (analyze.smk; decide)    select_candidates
#   run_targets (below; all)                  select_candidates of each study, in turn, BEFORE its
#                                               rounds and rungs: it is a study's last checkpoint
#                                               (it reads trials.csv, which needs every round and
#                                               promotion), so until it has run `all` lists no run
#   static on purpose (plain paths to a checkpoint's output or to collected parts, cheap to
#   re-plan): get_round_history (suggest), get_round_paths and get_parts (collect, collect_curves,
#   dynamics), promotion_files (rungs_table), decide's candidates.json
# -------------------------------------------------------------------------------------------------
import sys
from types import SimpleNamespace

from tunelab.analysis.study_context import study_context
from tunelab.sanity.rule_targets import sanity_targets
from tunelab.workdir_guard import check as workdir_check
from tunelab.workflow import USER_ERRORS, confirmation_note, datasets, load_studies, missing_runs_note
from tunelab.workflow import study_rounds
from tunelab.workflow import threads_warnings


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
    # skipped periods, a search with fewer distinct trials than asked, lost runs, a baseline
    # whose confirmation a dry run cannot list yet
    for sp in STUDIES.values():
        for note in [*sp.notes, missing_runs_note(sp), confirmation_note(sp)]:
            if note:
                print(f"tunelab: note: {note}", file=sys.stderr)


wildcard_constraints:
    study=r"[A-Za-z0-9_.-]+",
    period=r"v[0-9]{4}-[0-9]{2}(-[0-9]{2})?",
    trial=r"t[0-9a-f]{8}",
    block=r"s[0-9]+(-[0-9]+)?",
    job_group=r"g[0-9a-f]{8}",


# Helpers of every stage (get_prepared: report.smk, sanity.smk; get_context: search.smk,
# analyze.smk, report.smk).
def get_study(wildcards):
    return STUDIES[wildcards.study]


def get_prepared(wildcards):
    return prepared_of(wildcards.study)


def prepared_of(name):
    """The study's prepared data file; none for a dataset given as a span (only its command reads it)."""
    dataset = STUDIES[name].study.dataset
    return f"data/prepared/{dataset.name}.parquet" if dataset.is_file else []


def data_pages(name, page):
    """results/<study>/<page> of a check that reads the study's data file (data report, simple
    baselines, overfit): none for a dataset given as a span (only its training command reads it)."""
    return [f"results/{name}/{page}"] if STUDIES[name].study.dataset.is_file else []


def get_context(wildcards):
    return context_of(wildcards.study)


def context_of(name):
    """What the analysis rules need to know about the study (tunelab.analysis.study_context)."""
    sp = STUDIES[name]
    return study_context(sp.study, sp.plan, sp.rungs)


# The targets of `rule all` (Snakefile).
def run_targets(wildcards):
    """Every run of every selected study, as a target of the `all` rule, so Snakemake retrains a run
    whose files were deleted even when the tables collected from it are newer (ENGINE_NOTES:
    missing intermediate files). select_candidates is asked for first (order of evaluation, at the
    top of this file): every run joins at once, in the same call, once it has run."""
    files = []
    for name, sp in STUDIES.items():
        study = SimpleNamespace(study=name)
        confirming = get_confirmation("metrics.json")(study)
        rounds = [SimpleNamespace(study=name, group=g, round=k) for g, k in study_rounds(sp)]
        files += rung_aware_files("metrics.json")(study)
        files += [f for w in rounds for f in get_round_runs("metrics.json")(w)] + confirming
    return files


def final_outputs():
    """Every table, plot and report of every selected study: the files of `rule all`."""
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
