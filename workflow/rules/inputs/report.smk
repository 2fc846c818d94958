# What the report rules list (report.smk): the evidence of one study.
from tunelab.train.check import checks_trainer
from tunelab.workflow import axis_names, isolation_names


def importance_applies(sp):
    """Importance needs two searched hyperparameters at least (one alone explains everything)."""
    return sum(hp.searched for hp in sp.study.space.values()) >= 2


def analysis_outputs(name):
    """The evidence of one study (analyze.smk, report.smk): targets of `all`, and the plots the
    report shows."""
    sp, out = STUDIES[name], f"results/{name}"
    return [
        f"{out}/variance.csv",
        f"{out}/checklist.md",
        f"{out}/decision.md",
        f"{out}/report.md",
        f"{out}/summary.json",
        f"{out}/report.html",
        f"{out}/plots/periods.png",
        f"{out}/plots/curves.all.png",
        f"{out}/plots/curves.best.png",
        f"{out}/plots/convergence.png",  # and the trials for optuna-dashboard (search.smk)
        f"{out}/optuna.journal",
        f"{out}/months/{sp.plan.month}.json",  # what next month's warm start reads
        *([f"{out}/plots/curves.rungs.png"] if sp.rungs is not None else []),
        *([f"{out}/plots/importance.png"] if importance_applies(sp) else []),
        *[f"{out}/plots/axis.{hp}.png" for hp in axis_names(sp)],
        *[f"{out}/plots/isolation.{hp}.png" for hp in isolation_names(sp)],
    ]
