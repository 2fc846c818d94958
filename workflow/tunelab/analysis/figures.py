"""The plots rule: every figure of one study drawn in one process, with the importance table and
the training-dynamics check.

A plot job pays about 0.5 s for Python, pandas and matplotlib before it draws anything. The default
study's seven figures used to be seven jobs, and they read the same few tables. Drawn in one job,
they cost one start-up, and each figure is the same as when it was drawn alone
(tests/analysis/test_figures.py). The importance of the hyperparameters (a table and its figure,
where the study searches two hyperparameters or more) and the training-dynamics check
(tunelab.sanity.dynamics: dynamics.md and the gradient norms' figure) are computed here too, for the
same reason: their jobs read the same tables and paid the same start-up.

`figure_paths` names the figures of a study. The Snakefile builds its outputs from it at parse time,
because the axis and isolation plots are named after the study's hyperparameters.
"""

from __future__ import annotations


class FigurePaths(dict):
    """figure_paths' dict, printed as one line without brackets: `snakemake --report` shows a
    job's parameters with str(), and Snakemake's params rerun trigger compares repr(). Both name
    every figure, so a hyperparameter added or removed still reruns the job."""

    def __str__(self) -> str:
        def names(kind):
            return ", ".join(self[kind]) or "none"
        importance = ", importance" if "importance" in self else ""
        return (f"axis plots of {names('axis')}; isolation plots of {names('isolation')}; "
                f"curves.all, curves.best, periods, convergence, norms{importance}")

    __repr__ = __str__


def figure_paths(name: str, axis: list[str], isolation: list[str], importance: bool = False) -> FigurePaths:
    """results/<name>/plots/...: one axis plot per searched hyperparameter, one isolation plot per
    scientific one, the training curves (all trials, the best per scientific value), the periods
    and the convergence of the search; the training-dynamics check (results/<name>/dynamics.md) and
    its figure of gradient norms; with `importance`, the importance table
    (results/<name>/importance.csv) and its figure."""
    out = f"results/{name}/plots"
    extra = {"importance": {"table": f"results/{name}/importance.csv", "figure": f"{out}/importance.png"}}
    return FigurePaths({
        "axis": {hp: f"{out}/axis.{hp}.png" for hp in axis},
        "isolation": {hp: f"{out}/isolation.{hp}.png" for hp in isolation},
        "curves_all": f"{out}/curves.all.png",
        "curves_best": f"{out}/curves.best.png",
        "periods": f"{out}/periods.png",
        "convergence": f"{out}/convergence.png",
        "dynamics": {"page": f"results/{name}/dynamics.md", "figure": f"{out}/norms.png"},
        **(extra if importance else {}),
    })


def figures_file(inputs: dict, context: dict, paths: dict) -> None:
    """trials.csv, curves.parquet, periods.csv, the collected parts (+ baselines.csv, the prepared
    data, runs.csv) -> every figure of `paths` (figure_paths). `inputs` holds the files by name:
    trials, curves, periods, parts (a list), and baselines and data where the study has them (a
    dataset given as a span has neither), and runs where `paths` asks for the importance."""
    from tunelab.analysis.axis import axis_file
    from tunelab.analysis.convergence import convergence_file
    from tunelab.analysis.curves import curves_plot_file
    from tunelab.analysis.isolation import isolation_file
    from tunelab.analysis.timeline import periods_file
    from tunelab.sanity.dynamics import dynamics_file

    trials, baselines = inputs["trials"], inputs.get("baselines") or None
    for hp, path in paths["axis"].items():
        axis_file(trials, context, hp, path, baselines)
    for hp, path in paths["isolation"].items():
        isolation_file(trials, context, hp, path, baselines)
    curves_plot_file(inputs["curves"], trials, paths["curves_all"], paths["curves_best"], context["objective"])
    periods_file(inputs["periods"], trials, inputs.get("data") or None, context, paths["periods"])
    convergence_file(trials, context, paths["convergence"], baselines)
    dynamics_file(inputs["curves"], list(inputs["parts"]), trials, paths["dynamics"]["page"],
                  paths["dynamics"]["figure"], context["study"])
    if "importance" in paths:
        from tunelab.analysis.importance import importance_file

        importance_file(inputs["runs"], trials, context, paths["importance"]["table"], paths["importance"]["figure"])
