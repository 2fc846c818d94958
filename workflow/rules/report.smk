# The figures and the report: axis, isolation, curves, periods and convergence plots, then
# report.md (for people) and summary.json (headline numbers for `dvc metrics` and CI), and
# report.md rendered as a self-contained report.html with the sanity checks. `snakemake --report
# report.html` collects every output marked with report(), with its caption from workflow/report/;
# its landing page (workflow.rst) shows each study's verdict.


include: "inputs/report.smk"


report: "../report/workflow.rst"


# Every figure of one study in one job (tunelab.analysis.figures), with the importance table and
# the training-dynamics check: a plot job pays about 0.5 s of Python, pandas and matplotlib before
# it draws (on a cluster, a queue wait too), and the figures read the same tables. One rule per
# study, since the axis and isolation plots are named after its hyperparameters: `plots_<study>`
# (`snakemake --forcerun plots_default` redraws the default study's figures).
for _name, _sp in STUDIES.items():
    _figures = figure_paths(_name, axis_names(_sp), isolation_names(_sp), importance_applies(_sp))

    rule:
        name:
            plots_rule(_name)
        input:
            trials=f"results/{_name}/trials.csv",
            runs=f"results/{_name}/runs.csv",  # the seeds' results, which the importance resamples
            curves=f"results/{_name}/curves.parquet",
            parts=parts_of(_name, "blocks.jsonl"),
            periods=f"results/{_name}/periods.csv",
            baselines=data_pages(_name, "baselines.csv"),  # the best simple forecast's line
            data=prepared_of(_name),
        output:
            *figure_outputs(_name, _figures),
        params:
            context=lambda w, name=_name: context_of(name),
            figures=_figures,
        log:
            f"logs/{_name}/plots.log",
        conda:
            "../envs/tunelab.yaml"
        script:
            "../scripts/plots.py"


# report.md (for people) and summary.json, then report.md and the sanity pages beside it as one
# page for a browser (images embedded): report.html, the page `snakemake --report` opens for a
# study, and headline.html, its lead for the landing page. One job for both.
rule report:
    input:
        trials="results/{study}/trials.csv",
        runs="results/{study}/runs.csv",
        periods="results/{study}/periods.csv",
        variance="results/{study}/variance.json",
        checklist="results/{study}/checklist.md",
        checklist_json="results/{study}/checklist.json",
        decision="results/{study}/decision.md",
        decision_json="results/{study}/decision.json",
        baselines=lambda w: data_pages(w.study, "baselines.csv"),
        plots=lambda w: [p for p in analysis_outputs(w.study) if "/plots/" in p],
        rungs=lambda w: [f"results/{w.study}/rungs.md"] if get_study(w).rungs is not None else [],
        trainer_check=lambda w: [f"results/{w.study}/trainer_check.json"] if checks_trainer(get_study(w))
        else [],
        importance=lambda w: [f"results/{w.study}/importance.csv"] if importance_applies(get_study(w))
        else [],
        # the sanity pages and their figures, for report.html
        data_report=lambda w: data_pages(w.study, "data_report.md"),
        overfit=lambda w: data_pages(w.study, "sanity.md"),
        dynamics="results/{study}/dynamics.md",
        trainer_check_page=lambda w: [f"results/{w.study}/trainer_check.md"] if checks_trainer(get_study(w))
        else [],
        sanity_plots=lambda w: sanity_figures(w.study),
    output:
        md="results/{study}/report.md",
        summary="results/{study}/summary.json",
        html=report(
            "results/{study}/report.html",
            caption="../report/report.rst",
            category="Report",
            subcategory="{study}",
            labels={"study": "{study}", "page": "report"},
        ),
        headline="results/{study}/headline.html",
    params:
        context=get_context,
    log:
        "logs/{study}/report.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/report.py"


# The month's record (tunelab.search.warmstart): every finished search trial with its values and
# score, and the verdict; a study with warm_start starts next month from it.
rule month_record:
    input:
        parts=get_parts("blocks.jsonl"),
        decision="results/{study}/decision.json",
    output:
        "results/{study}/months/{month}.json",
    params:
        objective=lambda w: get_study(w).study.objective,
    wildcard_constraints:
        month=r"[0-9]{4}-[0-9]{2}",
    log:
        "logs/{study}/months/{month}.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/month_record.py"
