# Successive-halving rungs (search.fidelity; tunelab.search.rungs). Every trial of a bracket trains
# to its first rung; `promote` (a checkpoint, one per bracket and rung) ranks the finished rung and
# names the trials that go on; their next rung's jobs resume from the previous rung's state.pt.
# Rung directories are named by epoch budget (rungs/e<epochs>/), so a changed eta or min_epochs
# retrains only the rungs whose budget changed. Nothing here runs for a study without fidelity.


include: "inputs/rungs.smk"


wildcard_constraints:
    epochs=r"[0-9]+",
    bracket=r"[0-9]+",
    rung=r"[0-9]+",


rule train_rung:
    input:
        data=TRAIN_DATA,
        state=get_resume,
    output:
        metrics="results/{study}/rungs/e{epochs}/{period}/{trial}/{block}/metrics.json",
        curves="results/{study}/rungs/e{epochs}/{period}/{trial}/{block}/curves.csv",
        test="results/{study}/rungs/e{epochs}/{period}/{trial}/{block}/test.json",
        models="results/{study}/rungs/e{epochs}/{period}/{trial}/{block}/models.pt",
        state="results/{study}/rungs/e{epochs}/{period}/{trial}/{block}/state.pt",
    params:
        spec=get_rung_spec,
        resume=lambda w, input: f"--resume '{input.state}'" if input.state else "",
        entry=RUN_ENTRY,  # tunelab.train.loop, or tunelab.train.command for a trainer.command
    log:
        "logs/{study}/rungs/e{epochs}/{period}/{trial}/{block}.log",
    threads: train_setting("cpus_per_task")
    resources:  # as the train rule's: a rung job trains one trial (trials_per_job does not apply)
        mem_mb=train_setting("mem_mb"),
        runtime=train_setting("runtime"),
        gpu=train_setting("gpu"),
        slurm_extra=train_setting("slurm_extra"),
    conda:
        "../envs/tunelab.yaml"
    shell:
        "python -m {params.entry} --spec {params.spec:q} --data={input.data:q}"
        " --metrics {output.metrics:q} --threads {threads} {params.resume} > {log:q} 2>&1"


checkpoint promote:
    input:
        metrics=get_rung_inputs("metrics.json"),
        curves=get_rung_inputs("curves.csv"),
    output:
        "results/{study}/rungs/b{bracket}/r{rung}.json",
    params:
        context=get_promote_context,
    log:
        "logs/{study}/rungs/b{bracket}/r{rung}.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/promote.py"


rule rungs_table:
    input:
        lambda w: promotion_files(w.study),
    output:
        csv="results/{study}/rungs.csv",
        json="results/{study}/rungs.json",
        md="results/{study}/rungs.md",
    params:
        plan=get_rung_plan_summary,
    log:
        "logs/{study}/rungs.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/rungs.py"


rule rungs_plot:
    input:
        curves="results/{study}/curves.parquet",
        rungs="results/{study}/rungs.csv",
    output:
        report(
            "results/{study}/plots/curves.rungs.png",
            caption="../report/curves_rungs.rst",
            category="Training curves",
            subcategory="{study}",
            labels={"study": "{study}", "figure": "rungs"},
        ),
    params:
        objective=lambda w: get_study(w).study.objective,
    log:
        "logs/{study}/plots/curves.rungs.log",
    conda:
        "../envs/tunelab.yaml"
    script:
        "../scripts/rungs_plot.py"
