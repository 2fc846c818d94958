# What the report rules list (report.smk): the evidence of one study.
import re

from tunelab.analysis.figures import figure_paths
from tunelab.train.check import checks_trainer
from tunelab.workflow import axis_names, isolation_names


def importance_applies(sp):
    """Importance needs two searched hyperparameters at least (one alone explains everything)."""
    return sum(hp.searched for hp in sp.study.space.values()) >= 2


def analysis_outputs(name):
    """The evidence of one study (analyze.smk, report.smk): targets of `all`, and the plots the
    report shows."""
    sp, out = STUDIES[name], f"results/{name}"
    figures = figure_paths(name, axis_names(sp), isolation_names(sp), importance_applies(sp))
    return [
        f"{out}/variance.csv",
        f"{out}/checklist.md",
        f"{out}/decision.md",
        f"{out}/report.md",
        f"{out}/summary.json",
        f"{out}/report.html",
        *(figures[k] for k in ("periods", "curves_all", "curves_best", "convergence")),
        f"{out}/optuna.journal",  # the trials for optuna-dashboard (search.smk)
        f"{out}/months/{sp.plan.month}.json",  # what next month's warm start reads
        *([f"{out}/plots/curves.rungs.png"] if sp.rungs is not None else []),
        *([figures["importance"]["figure"]] if "importance" in figures else []),
        *figures["axis"].values(),
        *figures["isolation"].values(),
    ]


def sanity_figures(name):
    """The sanity checks' figures that report.html embeds: the data report's (a study whose data
    tunelab reads) and the gradient norms."""
    return data_pages(name, "plots/data_report.png") + [f"results/{name}/plots/norms.png"]


def plots_rule(name):
    """The name of the study's plots rule: plots_<study>, with any character a rule name cannot
    hold (a study file named my-study.yaml) as an underscore."""
    safe = re.sub(r"\W", "_", name)
    return f"plots_{safe}"


def figure_outputs(name, figures):
    """The plots rule's outputs (tunelab.analysis.figures.figure_paths), each flagged for
    `snakemake --report` with its caption (workflow/report/) and labels."""
    def shown(path, caption, category, **labels):
        return report(path, caption=f"../report/{caption}.rst", category=category, subcategory=name,
                      labels={"study": name, **labels})

    return [
        *[shown(p, "axis", "Axis plots", hyperparameter=hp) for hp, p in figures["axis"].items()],
        *[shown(p, "isolation", "Isolation plots", hyperparameter=hp)
          for hp, p in figures["isolation"].items()],
        shown(figures["curves_all"], "curves_all", "Training curves", figure="all trials"),
        shown(figures["curves_best"], "curves_best", "Training curves", figure="best per scientific value"),
        shown(figures["periods"], "periods", "Periods", figure="periods"),
        shown(figures["convergence"], "convergence", "Convergence", plot="convergence"),
        figures["dynamics"]["page"], figures["dynamics"]["figure"],
        *([figures["importance"]["table"],
           shown(figures["importance"]["figure"], "importance", "Importance", figure="importance")]
          if "importance" in figures else []),
    ]
