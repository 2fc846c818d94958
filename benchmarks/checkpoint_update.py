"""Benchmark: the DAG update after a checkpoint, on the 10,000-run study, against a bare Snakefile.

    python benchmarks/checkpoint_update.py      # 5 periods x 667 trials x 3 seeds (3,335 jobs)

Each case builds the DAG of a whole study (`rule all`) through Snakemake's API in a fresh process,
writes the output of one checkpoint as its job would, and times
`dag.update_checkpoint_dependencies([job])`: what Snakemake does after the checkpoint finishes,
before it schedules anything else (re-evaluating the input functions of the jobs that depend on it,
adding the jobs they now name, then its own pass over every job of the DAG). Cases:
- suggest: round 1 of an adaptive study (search.then, 2 rounds, batch 8) names 8 new trials, so 40
  training jobs appear and that round's collect_round job lists their files; then round 2, the last;
- select_candidates (same study): candidates.json names the trials to confirm; decide's inputs
  appear, and `all` now lists every run of the study as a target;
- promote: rung 0 of a successive-halving study (search.fidelity, eta 3) names the third of the
  trials that go on to rung 1;
Each case is compared with its bare twin: the case's DAG as a bare Snakefile (benchmarks/_bare.py:
the same jobs, files and logs, `touch` as the command) plus two checkpoints in a row, as two
rounds, the first naming as many new jobs as the case's checkpoint added, for a collector of their
own (shaped like training jobs: five outputs, a log, the output of an earlier job as input). The
first one's update is timed: Snakemake's own cost of a checkpoint update on a DAG of this
size with a later checkpoint still pending (Snakemake then re-evaluates the jobs that wait on it and
passes over the whole DAG twice). The ratio (case / twin) is the figure to read.
The files written are plausible stand-ins (round 1 = 8 exploration trials with a slightly other
learning rate), not real suggestions: the DAG update does not look at the values.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml
from _bare import dag_jobs, write_bare
from _common import REPO, cleanup, machine, scratch
from dryrun_10k import study as grid_study

CASES = ("suggest", "select_candidates", "promote")


def big_study(root: Path, trials: int, periods: int, case: str, batch: int = 8) -> None:
    study = grid_study(trials, periods, 3, 3)
    if case == "promote":
        study["hyperparameters"]["epochs"] = 27
        study["search"]["fidelity"] = {"min_epochs": 3, "eta": 3}
    else:
        study["search"]["then"] = {"algorithm": "bayesian", "rounds": 2, "batch": batch}
    (root / "params" / "big.yaml").write_text(yaml.safe_dump(study))


def bare_twin(root: Path, trials: int, periods: int, case: str, new: int) -> None:
    """The DAG of `case`'s study as a bare Snakefile (benchmarks/_bare.py: the same jobs, files and
    logs, `touch` as the command) plus two checkpoints in a row, as two rounds: each names `new`
    new jobs, shaped like training jobs (five outputs and a log; one input, the output of an
    earlier training job, as a rung's state), for a collector of their metrics and curves; `all`
    asks for the second collector's output."""
    source = scratch(case, root / "tunelab")
    big_study(source, trials, periods, case)
    jobs = dag_jobs(source, [], {"study": "big"})
    write_bare(jobs, root, source)
    inputs = json.loads((root / "inputs.json").read_text())
    inputs["all"][""].append("picked2.txt")
    inputs["earlier"] = [j["output"][0] for j in jobs if j["rule"] in ("train", "train_rung")]
    (root / "inputs.json").write_text(json.dumps(inputs))
    with open(root / "Snakefile", "a") as fh:
        for k, before in ((1, None), (2, "picked1.txt")):
            fh.write(ROUND.format(k=k, new=new, before=f"    input: {before!r}\n" if before else ""))


ROUND = '''
checkpoint pick{k}:
{before}    output: "pick{k}.txt"
    shell: "seq {new} > {{output}}"

def picked{k}(w):
    with open(checkpoints.pick{k}.get().output[0]) as fh:
        ids = [i.strip() for i in fh if i.strip()]
    return [f"picked{k}/{{i}}/{{name}}" for i in ids for name in ("metrics.json", "curves.csv")]

rule train_picked{k}:
    input: lambda w: INPUTS["earlier"][int(w.i) % len(INPUTS["earlier"])]
    output: "picked{k}/{{i}}/metrics.json", "picked{k}/{{i}}/curves.csv", "picked{k}/{{i}}/test.json",
        "picked{k}/{{i}}/models.pt", "picked{k}/{{i}}/state.pt"
    log: "logs/picked{k}/{{i}}.log"
    shell: "touch {{output}} {{log}}"

rule collect_picked{k}:
    input: picked{k}
    output: "picked{k}.txt"
    shell: "touch {{output}}"
'''


def fake_round(sp, batch: int, k: int = 1) -> list[dict]:
    import dataclasses

    from tunelab.search.plan import trial_id
    from tunelab.search.rounds import round_rows

    trials = []
    for t in sp.plan.trials[:batch]:
        values = {**t.values, "learning_rate": t.values["learning_rate"] * (1 + 0.01 * k)}
        trials.append(dataclasses.replace(t, id=trial_id(sp.study.architecture, values),
                                          values=values))
    return round_rows(trials, k, ["ei"] * len(trials))


def write_csv(path: Path, rows: list[dict]) -> None:
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_output(case: str, root: Path, job, sp, config: dict) -> None:
    """What the checkpoint job of `case` would write."""
    out = root / job.output[0]
    out.parent.mkdir(parents=True, exist_ok=True)
    if case == "suggest":
        write_csv(out, fake_round(sp, 8))
    elif case == "select_candidates":
        chosen = [sp.plan.baseline, *[t.id for t in sp.plan.trials[:2]]]
        out.write_text(json.dumps({"confirm": chosen, "candidates": chosen[1:]}))
    elif case == "promote":
        from tunelab.search.rungs import promote_context

        trials = list(sp.rungs.brackets[0].trials)
        context = promote_context(sp.rungs, 0, 0, "valid_mse", len(trials))
        out.write_text(json.dumps({**context, "promoted": trials[: context["keep"]],
                                   "trials": [{"trial": t} for t in trials]}))
    else:
        out.write_text("".join(f"{i}\n" for i in range(config["new"])))


def measure(case: str, root: Path) -> dict:
    """In this process: build the DAG, write the checkpoint's output, time the update."""
    os.chdir(root)
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, DAGSettings, OutputSettings, ResourceSettings

    bare = case.startswith("bare")
    config = json.loads((root / "config.json").read_text())
    sp = None
    if not bare:
        from tunelab.workflow import load_studies

        sp = load_studies(config)["big"]
    with SnakemakeApi(OutputSettings(quiet={"all"})) as api:
        wf_api = api.workflow(resource_settings=ResourceSettings(cores=2),
                              config_settings=ConfigSettings(config=config),
                              snakefile=root / "Snakefile" if bare else REPO / "Snakefile", workdir=root)
        wf_api.dag(dag_settings=DAGSettings())
        workflow = wf_api._workflow
        start = time.perf_counter()
        workflow._prepare_dag(forceall=False, ignore_incomplete=True, lock_warn_only=True)
        workflow._build_dag()
        build = time.perf_counter() - start
        dag = workflow.dag
        rule = "pick1" if bare else case
        first = {"suggest": {"round": "1"}, "promote": {"rung": "0"}}.get(case, {})  # the first of a row
        job = next(j for j in dag.jobs if j.is_checkpoint and j.rule.name == rule
                   and all(j.wildcards_dict.get(k) == v for k, v in first.items()))
        before = len(dag.jobs)
        write_output(case, root, job, sp, config)
        start = time.perf_counter()
        workflow.async_run(dag.update_checkpoint_dependencies([job]))
        update = time.perf_counter() - start
        out = {"case": case, "jobs": before, "build": build, "update": update, "added": len(dag.jobs) - before}
        if case == "suggest":  # then the last round (2)
            last = next(j for j in dag.jobs if j.is_checkpoint and j.rule.name == "suggest"
                        and j.wildcards_dict.get("round") == "2")
            before = len(dag.jobs)
            write_csv(root / last.output[0], fake_round(sp, 8, 2))
            start = time.perf_counter()
            workflow.async_run(dag.update_checkpoint_dependencies([last]))
            out.update(last=time.perf_counter() - start, last_added=len(dag.jobs) - before)
        return out


def run_case(case: str, trials: int, periods: int, new: int = 0) -> dict:
    """`case` in a fresh process; `bare:<case>`: the bare twin of that case, its checkpoint naming
    `new` jobs (as many as the case's added)."""
    root = scratch(f"checkpoint-{case.replace(':', '-')}")
    try:
        if case.startswith("bare:"):
            bare_twin(root, trials, periods, case.split(":")[1], new)
            config = {"new": new}
        else:
            big_study(root, trials, periods, case)
            config = {"study": "big"}
        (root / "config.json").write_text(json.dumps(config))
        proc = subprocess.run([sys.executable, __file__, "--measure", case, str(root)], cwd=REPO / "benchmarks",
                              capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"{case} failed:\n{proc.stderr[-4000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        cleanup(root)


def report(r: dict, bare: dict | None) -> None:
    line = (f"{r['case']}: DAG of {r['jobs']:,} jobs built in {r['build']:.2f} s; update after the checkpoint "
            f"{r['update']:.2f} s ({r['update'] / r['build']:.2f} of the build), {r['added']:+,} jobs")
    if "last" in r:
        line += f"\n    then the last round's suggest: update {r['last']:.2f} s, {r['last_added']:+,} jobs"
    if bare:
        line += (f"\n    bare twin: {bare['jobs']:,} jobs built in {bare['build']:.2f} s; update "
                 f"{bare['update']:.2f} s, {bare['added']:+,} jobs; ratio {r['update'] / bare['update']:.2f}")
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=667)
    parser.add_argument("--periods", type=int, default=5)
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--no-bare", action="store_true", help="skip the bare twins")
    parser.add_argument("--measure", nargs=2, metavar=("CASE", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]))))
        return
    print(f"machine: {machine()}")
    for case in args.cases:
        r = run_case(case, args.trials, args.periods)
        report(r, None if args.no_bare else run_case(f"bare:{case}", args.trials, args.periods, r["added"]))


if __name__ == "__main__":
    main()
