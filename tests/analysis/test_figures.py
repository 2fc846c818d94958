"""The plots rule draws every figure of a study in one process (tunelab.analysis.figures), and the
importance table: each file is the one its own function writes alone, byte for byte, so drawing
them together changes no figure or number of the report."""

from __future__ import annotations

from analysis_data import context, curves_frame, periods_frame, tid
from tunelab.analysis.axis import axis_file
from tunelab.analysis.convergence import convergence_file
from tunelab.analysis.curves import curves_plot_file
from tunelab.analysis.figures import figure_paths, figures_file
from tunelab.analysis.importance import importance_file
from tunelab.analysis.isolation import isolation_file
from tunelab.analysis.timeline import periods_file
from tunelab.sanity.dynamics import dynamics_file


def inputs_in(folder, search_tables) -> dict:
    runs, trials = search_tables
    runs.to_csv(folder / "runs.csv", index=False)
    trials.to_csv(folder / "trials.csv", index=False)
    curves_frame({tid(i): "healthy" for i in range(6)}).to_parquet(folder / "curves.parquet")
    periods_frame().to_csv(folder / "periods.csv", index=False)
    return {"trials": str(folder / "trials.csv"), "runs": str(folder / "runs.csv"),
            "curves": str(folder / "curves.parquet"), "periods": str(folder / "periods.csv"),
            "parts": [], "baselines": [], "data": []}


def relocated(paths: dict, folder) -> dict:
    """figure_paths with every file under `folder` instead of results/<study>/plots."""
    def moved(p):
        return str(folder / p.rsplit("/", 1)[1])
    return {k: {hp: moved(p) for hp, p in v.items()} if isinstance(v, dict) else moved(v)
            for k, v in paths.items()}


def test_figure_paths_name_one_axis_plot_per_searched_and_one_isolation_per_scientific():
    paths = figure_paths("tiny", ["learning_rate", "hidden_size"], ["hidden_size"])
    assert paths["axis"] == {"learning_rate": "results/tiny/plots/axis.learning_rate.png",
                             "hidden_size": "results/tiny/plots/axis.hidden_size.png"}
    assert paths["isolation"] == {"hidden_size": "results/tiny/plots/isolation.hidden_size.png"}
    assert {paths[k] for k in ("curves_all", "curves_best", "periods", "convergence")} == {
        f"results/tiny/plots/{f}.png" for f in ("curves.all", "curves.best", "periods", "convergence")}
    assert "importance" not in paths
    assert paths["dynamics"] == {"page": "results/tiny/dynamics.md", "figure": "results/tiny/plots/norms.png"}
    assert figure_paths("tiny", ["learning_rate"], [], importance=True)["importance"] == {
        "table": "results/tiny/importance.csv", "figure": "results/tiny/plots/importance.png"}


def test_one_job_draws_each_figure_as_its_own_function_does_alone(tmp_path, search_tables):
    ctx = context()
    inputs = inputs_in(tmp_path, search_tables)
    (tmp_path / "together").mkdir()
    (tmp_path / "alone").mkdir()
    paths = figure_paths("hand", ["learning_rate", "weight_decay", "hidden_size"], ["hidden_size"], importance=True)
    together, alone = relocated(paths, tmp_path / "together"), relocated(paths, tmp_path / "alone")
    figures_file(inputs, ctx, together)

    trials = inputs["trials"]
    for hp, path in alone["axis"].items():
        axis_file(trials, ctx, hp, path)
    isolation_file(trials, ctx, "hidden_size", alone["isolation"]["hidden_size"])
    curves_plot_file(inputs["curves"], trials, alone["curves_all"], alone["curves_best"], ctx["objective"])
    periods_file(inputs["periods"], trials, None, ctx, alone["periods"])
    convergence_file(trials, ctx, alone["convergence"])
    importance_file(inputs["runs"], trials, ctx, alone["importance"]["table"], alone["importance"]["figure"])
    dynamics_file(inputs["curves"], [], trials, alone["dynamics"]["page"], alone["dynamics"]["figure"], ctx["study"])

    drawn = sorted(p.name for p in (tmp_path / "together").iterdir())
    assert drawn == sorted(p.name for p in (tmp_path / "alone").iterdir()) and len(drawn) == 12
    assert {"importance.csv", "importance.png", "dynamics.md", "norms.png"} <= set(drawn)
    for name in drawn:
        assert (tmp_path / "together" / name).read_bytes() == (tmp_path / "alone" / name).read_bytes(), name


def test_figure_paths_print_as_one_line_that_names_every_figure():
    """`snakemake --report` shows a job's parameters with str() and the params rerun trigger compares
    repr(): no raw dict, and a hyperparameter added to the study changes both."""
    paths = figure_paths("tiny", ["learning_rate", "hidden_size"], ["hidden_size"])
    assert "{" not in str(paths) and "[" not in str(paths) and repr(paths) == str(paths)
    assert "axis plots of learning_rate, hidden_size; isolation plots of hidden_size" in str(paths)
    with_importance = figure_paths("tiny", ["learning_rate", "hidden_size"], ["hidden_size"], importance=True)
    assert str(with_importance) == str(paths) + ", importance"
    assert repr(figure_paths("tiny", ["learning_rate", "hidden_size", "dropout"], ["hidden_size"])) != repr(paths)
