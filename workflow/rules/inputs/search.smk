# The input functions of the adaptive phase (search.smk): what a round's suggest job learns from,
# and the runs of the trials it wrote. Order of evaluation: top of common.smk.
from tunelab.search.rounds import round_path, round_trials
from tunelab.workflow import collected, study_rounds, trial_files


def get_round_history(wildcards):
    """What round k of a group learns from: the exploration's part (suggest keeps the group's own
    trials) and the parts of the group's rounds 1..k-1, with those rounds' files."""
    earlier = study_rounds(get_study(wildcards), wildcards.group, int(wildcards.round) - 1)
    return {"parts": [collected(wildcards.study, part) for part in [None, *earlier]],
            "rounds": [round_path(wildcards.study, g, k) for g, k in earlier]}


def round_file(study, group, k):
    """Round k's file once its suggest job has run (until then Snakemake schedules that job)."""
    return checkpoints.suggest.get(study=study, group=group, round=str(k)).output[0]


def get_round_runs(name):
    """`name` of the runs of one round's trials (collect_round in analyze.smk, and `all`): known
    once its suggest checkpoint has run."""

    def files(w):
        trials = [t.id for t in round_trials(round_file(w.study, w.group, int(w.round)))]
        return trial_files(get_study(w), trials, name)

    return files
