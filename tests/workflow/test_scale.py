"""Scale: what every `snakemake` call pays at parse time and per job stays light, and the shortcuts
taken for it (constants instead of per-job functions) keep each study's own settings.
Speed itself is measured in benchmarks/scale.py, not here."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from types import SimpleNamespace

from conftest import REPO, SNAKEFILE, adaptive_tiny, snakemake, tiny_study, write_study
from tunelab.study import study_from_dict
from tunelab.workflow import StudyPlan, per_study


def test_planning_the_default_study_imports_nothing_heavy():
    """Validating and planning (the Snakefile's parse time) imports neither scipy.stats (the
    Halton sampler is numpy), torch, matplotlib nor optuna."""
    code = ("import sys, json; from tunelab.workflow import load_studies; "
            "sp = load_studies({'study': 'default', 'month': '2026-11'})['default']; "
            "heavy = ('scipy.stats', 'torch', 'matplotlib', 'optuna', 'botorch'); "
            "print(json.dumps([len(sp.plan.trials), [m for m in heavy if m in sys.modules]]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=REPO).stdout
    trials, heavy = json.loads(out)
    assert trials == 12 and heavy == []


def plans(**studies):
    return {name: StudyPlan(study_from_dict(tiny_study(**o), name=name), plan=None)
            for name, o in studies.items()}


def test_per_study_is_a_constant_when_the_studies_agree():
    studies = plans(a={}, b={"seeds": 3})
    assert per_study(studies, lambda sp: sp.study.resources.cpus_per_task) == 1
    mem = per_study(studies, lambda sp: sp.study.resources.mem_mb, grows=True)
    assert mem(SimpleNamespace(study="b"), 1) == 2000 and mem(SimpleNamespace(study="a"), 3) == 6000


def test_per_study_looks_up_the_study_when_they_differ():
    studies = plans(a={}, b={"resources": {"mem_mb": 500, "cpus_per_task": 2}})
    threads = per_study(studies, lambda sp: sp.study.resources.cpus_per_task)
    assert [threads(SimpleNamespace(study=s)) for s in "ab"] == [1, 2]
    mem = per_study(studies, lambda sp: sp.study.resources.mem_mb, grows=True)
    assert mem(SimpleNamespace(study="a"), 2) == 4000 and mem(SimpleNamespace(study="b"), 2) == 1000


def train_blocks(output: str) -> list[str]:
    return [block for block in output.split("rule ")[1:] if block.startswith("train:")]


def test_two_studies_keep_their_own_threads_and_memory(workdir):
    """Two studies with different resources in one call: each training job gets its study's."""
    write_study(workdir, "tiny", tiny_study())
    write_study(workdir, "wide", tiny_study(resources={"mem_mb": 1500, "cpus_per_task": 2}))
    proc = snakemake(workdir, "results/tiny/runs.csv", "results/wide/runs.csv", "-n", "-p",
                     study="tiny,wide")
    blocks = train_blocks(proc.stdout)
    assert len(blocks) == 8
    for block in blocks:
        wide = "study=wide" in block
        assert ("mem_mb=1500" if wide else "mem_mb=2000") in block, block
        assert ("--threads 2" if wide else "--threads 1") in block, block


# What a checkpoint re-plans. After a checkpoint job, Snakemake re-resolves every input of every job
# that depends on it (and of every job still waiting on another checkpoint); at 10,000 runs a job
# that lists every run makes that cost a second DAG build (benchmarks/checkpoint_update.py). So
# the jobs a round's or a rung's checkpoint touches must list that round's or rung's runs, no more.

REPLAN = """
import json, sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import ConfigSettings, DAGSettings, OutputSettings, ResourceSettings

snakefile, study, rule, wildcards = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
with SnakemakeApi(OutputSettings(quiet={"all"})) as api:
    wf = api.workflow(resource_settings=ResourceSettings(cores=1), snakefile=Path(snakefile), workdir=Path.cwd(),
                      config_settings=ConfigSettings(config={"study": study}))
    wf.dag(dag_settings=DAGSettings())
    workflow = wf._workflow
    workflow._prepare_dag(forceall=False, ignore_incomplete=True, lock_warn_only=True)
    workflow._build_dag()
    dag = workflow.dag
    job = next(j for j in dag.jobs if j.rule.name == rule
               and all(j.wildcards_dict.get(k) == v for k, v in wildcards.items()))
    replanned = [{"depending": sorted({j.rule.name for j in dag.depending[job]})}]
    replace = type(dag).replace_job
    async def record(self, old, new, recursive=True):
        replanned.append({"rule": new.rule.name, "wildcards": dict(new.wildcards_dict),
                          "input": [str(f) for f in new.input]})
        return await replace(self, old, new, recursive)
    type(dag).replace_job = record
    workflow.async_run(dag.update_checkpoint_dependencies([job]))  # as after the job finished
print(json.dumps(replanned))
"""


def replanned(workdir, study: str, rule: str, **wildcards) -> tuple[list[str], list[dict]]:
    """Once checkpoint `rule` is done (its output written beforehand): the rules of the jobs that
    depend on it, and every job Snakemake then re-plans (those, and the jobs still waiting)."""
    proc = subprocess.run([sys.executable, "-c", REPLAN, str(SNAKEFILE), study, rule, json.dumps(wildcards)],
                          cwd=workdir, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    first, *jobs = json.loads(proc.stdout.strip().splitlines()[-1])
    return first["depending"], jobs


def planned(workdir, monkeypatch, name: str, study: dict):
    from tunelab.workflow import load_studies

    write_study(workdir, name, study)
    monkeypatch.chdir(workdir)
    return load_studies({"study": name})[name]


def trials_named(jobs: list[dict]) -> set[str]:
    return {part for job in jobs for f in job["input"] for part in f.split("/") if re.fullmatch(r"t[0-9a-f]{8}", part)}


def test_a_rounds_checkpoint_replans_only_jobs_that_list_that_rounds_runs(workdir, monkeypatch):
    import dataclasses

    from tunelab.io import write_csv
    from tunelab.search.plan import trial_id
    from tunelab.search.rounds import round_rows

    sp = planned(workdir, monkeypatch, "tiny", adaptive_tiny())
    trials = []
    for i, t in enumerate(sp.plan.trials[:2]):  # round 1 as its suggest job would write it
        values = {**t.values, "learning_rate": 0.01 * (i + 1)}
        trials.append(dataclasses.replace(t, id=trial_id("mlp", values), values=values))
    rows = round_rows(trials, 1, ["ei", "ei"])
    write_csv(workdir / "results/tiny/rounds/all/round1.csv", rows, list(rows[0]))
    depending, jobs = replanned(workdir, "tiny", "suggest", round="1")
    assert set(depending) <= {"collect_round", "suggest", "collect"}  # not `all`, curves or dynamics
    (collect_round,) = [j for j in jobs if j["rule"] == "collect_round" and j["wildcards"]["round"] == "1"]
    assert len(collect_round["input"]) == 2 * 2  # the round's 2 trials x 1 period x 1 block: metrics, curves
    assert trials_named(jobs) == {t.id for t in trials}  # no job it re-plans lists an exploration run
    assert "suggest" in {j["rule"] for j in jobs}  # round 2 (its inputs: the parts, static paths)


def test_a_rungs_promotion_replans_only_jobs_that_list_the_promoted_trials(workdir, monkeypatch):
    from tunelab.io import write_json
    from tunelab.search.rungs import promote_context, promotion_path

    study = tiny_study(search={"algorithm": "quasi_random", "budget": 9, "mode": "joint",
                               "fidelity": {"min_epochs": 1, "eta": 3}}, periods={"count": 1}, confirm_seeds=0)
    study["hyperparameters"] = {"learning_rate": {"role": "nuisance", "min": 1.0e-3, "max": 0.3, "scaling": "log"},
                                "hidden_size": 8, "epochs": 9, "batch_size": 64}  # rungs of 1, 3, 9 epochs
    sp = planned(workdir, monkeypatch, "rungs", study)
    entered = list(sp.rungs.brackets[0].trials)
    context = promote_context(sp.rungs, 0, 0, "valid_mse", len(entered))
    promoted = entered[: context["keep"]]
    write_json(workdir / promotion_path("rungs", 0, 0), {**context, "promoted": promoted,
                                                         "trials": [{"trial": t} for t in entered]})
    depending, jobs = replanned(workdir, "rungs", "promote", bracket="0", rung="0")
    assert depending == ["promote", "rungs_table"]  # the collection waits on the last promotion alone
    assert len(promoted) == 3 and "promote" in {j["rule"] for j in jobs}
    assert trials_named(jobs) == set(promoted)  # the next rung's runs; not the exploration's every run


def test_round_and_promotion_files_are_read_once_while_unchanged(tmp_path):
    """Input functions ask for a round's or a promotion's file once per job; it is parsed once,
    and again when it changes."""
    import os

    from tunelab.io import read_cached

    path, calls = tmp_path / "r0.json", []

    def parse(fh):
        calls.append(1)
        return json.load(fh)

    path.write_text('{"promoted": ["t00000001"]}')
    assert [read_cached(path, parse) for _ in range(3)][-1] == {"promoted": ["t00000001"]}
    assert len(calls) == 1
    path.write_text('{"promoted": ["t00000002", "t00000003"]}')
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert read_cached(path, parse) == {"promoted": ["t00000002", "t00000003"]} and len(calls) == 2
