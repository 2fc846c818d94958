"""Scale: what every `snakemake` call pays at parse time and per job stays light, and the shortcuts
taken for it (constants instead of per-job functions) keep each study's own settings.
Speed itself is measured in benchmarks/scale.py, not here."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

from conftest import REPO, snakemake, tiny_study, write_study
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
    assert per_study(studies, lambda sp: sp.study["resources"]["cpus_per_task"]) == 1
    mem = per_study(studies, lambda sp: sp.study["resources"]["mem_mb"], grows=True)
    assert mem(SimpleNamespace(study="b"), 1) == 2000 and mem(SimpleNamespace(study="a"), 3) == 6000


def test_per_study_looks_up_the_study_when_they_differ():
    studies = plans(a={}, b={"resources": {"mem_mb": 500, "cpus_per_task": 2}})
    threads = per_study(studies, lambda sp: sp.study["resources"]["cpus_per_task"])
    assert [threads(SimpleNamespace(study=s)) for s in "ab"] == [1, 2]
    mem = per_study(studies, lambda sp: sp.study["resources"]["mem_mb"], grows=True)
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
