"""Benchmark: the DAG update after a checkpoint, on the 10,000-run study.

    python benchmarks/checkpoint_update.py      # 5 periods x 667 trials x 3 seeds, 2 adaptive rounds

Builds the DAG of the whole study (`rule all`) through Snakemake's API, writes the output of a
checkpoint as its job would, and times `dag.update_checkpoint_dependencies([job])`: what Snakemake
does after the checkpoint finishes before it schedules anything else (re-evaluating the input
functions of the jobs that depend on it, adding the jobs they now name). Two checkpoints:
- `suggest` of adaptive round 1 (search.then, batch 8): its round file names 8 new trials, so 40
  training jobs appear and collect / collect_curves / dynamics / round 2 list their files;
- `select_candidates`: candidates.json names the trials to confirm; decide's inputs appear.
The files written are plausible stand-ins (round 1 = 8 exploration trials with a slightly other
learning rate), not real suggestions: the DAG update does not look at the values.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import yaml
from _common import REPO, cleanup, machine, scratch
from dryrun_10k import study as grid_study


def big_adaptive(root: Path, trials: int, periods: int, batch: int) -> None:
    study = grid_study(trials, periods, 3, 3)
    study["search"]["then"] = {"algorithm": "bayesian", "rounds": 2, "batch": batch}
    (root / "params" / "big.yaml").write_text(yaml.safe_dump(study))


def fake_round(sp, batch: int) -> list[dict]:
    import dataclasses

    from tunelab.search.plan import trial_id
    from tunelab.search.rounds import round_rows

    trials = []
    for t in sp.plan.trials[:batch]:
        values = {**t.values, "learning_rate": t.values["learning_rate"] * 1.01}
        trials.append(dataclasses.replace(t, id=trial_id(sp.study["architecture"], values),
                                          values=values))
    return round_rows(trials, 1, ["ei"] * len(trials))


def write_csv(path: Path, rows: list[dict]) -> None:
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def timed_update(workflow, job) -> float:
    start = time.perf_counter()
    workflow.async_run(workflow.dag.update_checkpoint_dependencies([job]))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=667)
    parser.add_argument("--periods", type=int, default=5)
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()
    root = scratch("checkpoint")
    try:
        big_adaptive(root, args.trials, args.periods, args.batch)
        os.chdir(root)
        from snakemake.api import SnakemakeApi
        from snakemake.settings.types import ConfigSettings, DAGSettings, OutputSettings, ResourceSettings
        from tunelab.workflow import load_studies

        sp = load_studies({"study": "big"})["big"]
        with SnakemakeApi(OutputSettings(quiet={"all"})) as api:
            wf_api = api.workflow(resource_settings=ResourceSettings(cores=2),
                                  config_settings=ConfigSettings(config={"study": "big"}),
                                  snakefile=REPO / "Snakefile", workdir=root)
            wf_api.dag(dag_settings=DAGSettings())
            workflow = wf_api._workflow
            start = time.perf_counter()
            workflow._prepare_dag(forceall=False, ignore_incomplete=True, lock_warn_only=True)
            workflow._build_dag()
            build = time.perf_counter() - start
            dag = workflow.dag
            before = len(dag.jobs)
            by_rule = {}
            for job in dag.jobs:
                if job.is_checkpoint:
                    by_rule.setdefault(job.rule.name, job)
            print(f"machine: {machine()}")
            print(f"DAG of the whole study: {before:,} jobs, built in {build:.2f} s")

            write_csv(root / by_rule["suggest"].output[0], fake_round(sp, args.batch))
            took = timed_update(workflow, by_rule["suggest"])
            print(f"suggest (round 1, {args.batch} trials): update {took:.2f} s, "
                  f"{len(dag.jobs) - before:+,} jobs")

            before = len(dag.jobs)
            chosen = [sp.plan.baseline, *[t.id for t in sp.plan.trials[:2]]]
            out = root / by_rule["select_candidates"].output[0]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps({"confirm": chosen, "candidates": chosen[1:]}))
            took = timed_update(workflow, by_rule["select_candidates"])
            print(f"select_candidates ({len(chosen)} trials to confirm): update {took:.2f} s, "
                  f"{len(dag.jobs) - before:+,} jobs")
    finally:
        os.chdir(REPO)
        cleanup(root)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
