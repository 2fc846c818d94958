# The input functions of the collection and the decision (analyze.smk): the collected parts, and
# the confirmation runs, known once select_candidates has run. Order of evaluation: top of
# common.smk.
import json

from tunelab.search.rounds import round_path
from tunelab.workflow import collected, confirm_files, study_rounds


def parts_of(name, kind):
    """Every part of the study, the exploration's first: what collect and the plots job's dynamics
    check (report.smk) read. Static paths, so no job after a round's checkpoint lists thousands of
    runs."""
    return [collected(name, part, kind) for part in [None, *study_rounds(STUDIES[name])]]


def get_parts(kind):
    """parts_of, as an input function."""
    return lambda w: parts_of(w.study, kind)


def get_round_paths(wildcards):
    return [round_path(wildcards.study, g, k) for g, k in study_rounds(get_study(wildcards))]


def get_confirmation(name):
    """Input function: `name` (metrics.json, test.json) of the blocks that compare the baseline and
    the candidates; known only once the select_candidates checkpoint has run."""

    def files(wildcards):
        with open(checkpoints.select_candidates.get(study=wildcards.study).output[0]) as fh:
            chosen = json.load(fh)
        return confirm_files(get_study(wildcards), chosen["confirm"], name)

    return files
