# The input functions of the rungs (rungs.smk): each rung's trials, read from the promotion
# before it, and the runs the tables collect. Order of evaluation: top of common.smk.
from tunelab.search.rungs import plan_summary, promote_context, promotion_path, read_promotion
from tunelab.search.rungs import rung_dir
from tunelab.workflow import final_rung_files, metrics_files, rung_files, rung_spec_json
from tunelab.workflow import signature_once


def get_rung_plan(wildcards):
    rungs = get_study(wildcards).rungs
    if rungs is None:
        raise ValueError(f"study {wildcards.study!r} has no search.fidelity: it has no rungs")
    return rungs


@signature_once
def get_rung_spec(w):
    return rung_spec_json(get_study(w), int(w.epochs), w.period, w.trial, w.block)


@signature_once
def get_resume(wildcards):
    """state.pt of the same block at the rung this one continues (none for a first rung)."""
    before = get_rung_plan(wildcards).previous_epochs(wildcards.trial, int(wildcards.epochs))
    if before is None:
        return []
    w = wildcards
    return [f"{rung_dir(w.study, before, w.period, w.trial, w.block)}/state.pt"]


def rung_trials(study, bracket, rung):
    """The trials in rung `rung` of `bracket`: all of the bracket's at rung 0, then those the
    previous promotion named (read once that checkpoint has run)."""
    if rung == 0:
        return list(STUDIES[study].rungs.brackets[bracket].trials)
    done = checkpoints.promote.get(study=study, bracket=bracket, rung=rung - 1)
    return read_promotion(done.output[0])["promoted"]


def get_rung_inputs(name):
    def files(w):
        sp, bracket, rung = get_study(w), int(w.bracket), int(w.rung)
        epochs = get_rung_plan(w).brackets[bracket].epochs[rung]
        return rung_files(sp, epochs, rung_trials(w.study, bracket, rung), name)

    return files


def get_promote_context(w):
    plan, bracket, rung = get_rung_plan(w), int(w.bracket), int(w.rung)
    entered = len(rung_trials(w.study, bracket, rung))
    return promote_context(plan, bracket, rung, get_study(w).study.objective, entered)


def promotion_files(name):
    """Every promotion's output of study `name` (static: one per bracket and rung)."""
    return [promotion_path(name, b, r) for b, r in STUDIES[name].rungs.promotions()]


def get_rung_plan_summary(w):
    sp = get_study(w)
    return plan_summary(get_rung_plan(w), len(sp.plan.periods), len(sp.study.seeds))


# What the tables of every study collect, with rungs or without (collect_exploration in analyze.smk,
# and `all`).
def final_rungs_of(study):
    """{trial: epochs of the last rung it trained in}, once every promotion has run; the last one
    is asked for first (order of evaluation: top of common.smk)."""
    from tunelab.search.rungs import final_rungs

    done = {(b, r): checkpoints.promote.get(study=study, bracket=b, rung=r).output[0]
            for b, r in reversed(STUDIES[study].rungs.promotions())}
    return final_rungs([read_promotion(done[key]) for key in STUDIES[study].rungs.promotions()])


def rung_aware_files(name):
    """`name` (metrics.json, curves.csv) of every run the study's tables collect: the plan's jobs,
    or with rungs each trial's blocks at the last rung it reached."""

    def files(w):
        sp = get_study(w)
        if sp.rungs is None:
            return metrics_files(sp, name)
        return final_rung_files(sp, final_rungs_of(w.study), name)

    return files
