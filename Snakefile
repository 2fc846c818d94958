# tunelab: a study file becomes a period x trial x seed grid of torch runs, then the evidence.
#
#   snakemake --cores 2                                  the default study (params/default.yaml)
#   snakemake --cores 2 --config study=depth             another study under params/
#   snakemake --cores 2 --config month=2024-05           pin the rotation month
#
# Studies are validated and planned here, at parse time, in memory: a bad study file stops the
# run with one message before any job starts. See workflow/rules/ for the stages, and the top of
# workflow/rules/common.smk for why the order of these includes and of the checkpoints matters.

include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/plan.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/rungs.smk"
include: "workflow/rules/analyze.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/sanity.smk"


rule all:
    input:
        final_outputs(),
        run_targets,  # every run: a deleted run is retrained (common.smk)
    default_target: True


# Bookkeeping that takes a second runs where Snakemake runs, not as a cluster job that would wait
# in the queue for it (profiles/slurm); training and data preparation go to the cluster.
localrules:
    plan,
    collect_exploration,
    collect_round,
    collect,
    promote,
    rungs_table,
