"""A bare Snakefile with the same jobs as tunelab's DAG: the yardstick of Snakemake's own speed.

`dag_jobs(workdir, targets, config)` builds tunelab's DAG through Snakemake's API (in a subprocess,
in `workdir`) and returns every job's rule, input, output and log files. `write_bare(jobs, ...)`
turns them into a Snakefile with one rule per tunelab rule, the same output and log paths (as
wildcard patterns where a rule has several jobs), the same input files (a dict lookup per job), one
`params` function per rule and `touch` as the command: what any Snakemake workflow with these jobs
must pay, and nothing of tunelab's (study validation, planning, specs, resources, conda).

    python benchmarks/_bare.py DIR [TARGET...] [--config k=v ...]   # dump DIR's DAG as JSON
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def dag_jobs(workdir: Path, targets: list[str], config: dict) -> list[dict]:
    """Every job of tunelab's DAG in `workdir` for `targets` (all jobs, finished or not)."""
    cmd = [sys.executable, __file__, str(workdir), *targets, "--config",
           *[f"{k}={v}" for k, v in config.items()]]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"dumping the DAG failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout)


def _dump(workdir: Path, targets: list[str], config: dict) -> list[dict]:
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, DAGSettings, OutputSettings, ResourceSettings

    os.chdir(workdir)
    with SnakemakeApi(OutputSettings()) as api:
        wf_api = api.workflow(resource_settings=ResourceSettings(cores=2),
                              config_settings=ConfigSettings(config=config),
                              snakefile=REPO / "Snakefile", workdir=workdir)
        wf_api.dag(dag_settings=DAGSettings(targets=set(targets)))
        workflow = wf_api._workflow  # what `snakemake --dag` does, without printing dot
        workflow._prepare_dag(forceall=False, ignore_incomplete=True, lock_warn_only=True)
        workflow._build_dag()
        return [{"rule": job.rule.name, "output": [str(f) for f in job.output],
                 "input": [str(f) for f in job.input], "log": [str(f) for f in job.log]}
                for job in workflow.dag.jobs]


def _split(value: str, prefix: int, suffix: int) -> str:
    return value[prefix:len(value) - suffix]


def _common_affixes(values: list[str]) -> tuple[int, int]:
    prefix = len(os.path.commonprefix(values))
    suffix = len(os.path.commonprefix([v[::-1] for v in values]))
    shortest = min(len(v) for v in values)
    return prefix, min(suffix, shortest - prefix)


class _Patterns:
    """File patterns of one rule's jobs: path parts that vary between jobs become wildcards, named
    so that every file of a job (outputs, logs) uses the same wildcards for the same values."""

    def __init__(self, jobs: list[dict]):
        self.jobs = jobs
        self.columns: dict[tuple[str, ...], str] = {}

    def pattern(self, kind: str, slot: int) -> str:
        paths = [job[kind][slot] for job in self.jobs]
        parts = [p.split("/") for p in paths]
        if len({len(p) for p in parts}) != 1:
            raise ValueError(f"rule {self.jobs[0]['rule']}: {kind} paths of different depth")
        out = []
        for k in range(len(parts[0])):
            values = [p[k] for p in parts]
            if len(set(values)) == 1:
                out.append(values[0].replace("{", "{{").replace("}", "}}"))
                continue
            prefix, suffix = _common_affixes(values)
            column = tuple(_split(v, prefix, suffix) for v in values)
            name = self.columns.setdefault(column, f"w{len(self.columns)}")
            out.append(f"{values[0][:prefix]}{{{name},[^/]+}}{values[0][len(values[0]) - suffix:]}")
        return "/".join(out)

    def key(self, job_index: int) -> str:
        return "|".join(column[job_index] for column in self.columns)


def write_bare(jobs: list[dict], bare_dir: Path, source_dir: Path) -> None:
    """The bare workflow in `bare_dir`: Snakefile, its inputs.json, profiles/default (the same
    workflow profile as tunelab's) and links to the source files no job produces."""
    by_rule: dict[str, list[dict]] = defaultdict(list)
    for job in jobs:
        by_rule[job["rule"]].append(job)
    produced = {f for job in jobs for f in job["output"]}
    lines = ["import json", "", 'INPUTS = json.load(open(workflow.basedir + "/inputs.json"))', ""]
    inputs: dict[str, dict[str, list[str]]] = {}
    for rule, rule_jobs in by_rule.items():
        if not rule_jobs[0]["output"]:  # the target rule
            lines += [f"rule {rule}:", f"    input: INPUTS[{rule!r}]['']", "    default_target: True", ""]
            inputs[rule] = {"": rule_jobs[0]["input"]}
            continue
        patterns = _Patterns(rule_jobs)
        outputs = [patterns.pattern("output", i) for i in range(len(rule_jobs[0]["output"]))]
        logs = [patterns.pattern("log", i) for i in range(len(rule_jobs[0]["log"]))]
        inputs[rule] = {patterns.key(i): job["input"] for i, job in enumerate(rule_jobs)}
        names = list(patterns.columns.values())
        key = " + '|' + ".join(f"w.{n}" for n in names) or "''"
        lines += [f"rule {rule}:",
                  f"    output: {', '.join(map(repr, outputs))}",
                  f"    input: lambda w: INPUTS[{rule!r}][{key}]",
                  f"    params: key=lambda w: {key}",
                  *([f"    log: {', '.join(map(repr, logs))}"] if logs else []),
                  "    shell: 'touch {output} {log}'", ""]
    bare_dir.mkdir(parents=True, exist_ok=True)
    (bare_dir / "Snakefile").write_text("\n".join(lines))
    (bare_dir / "inputs.json").write_text(json.dumps(inputs))
    shutil.copytree(REPO / "profiles" / "default", bare_dir / "profiles" / "default", dirs_exist_ok=True)
    for source in {f for job in jobs for f in job["input"]} - produced:
        link = bare_dir / source
        if not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            os.symlink((source_dir / source).resolve(), link)


def main() -> None:
    args = sys.argv[1:]
    config_at = args.index("--config") if "--config" in args else len(args)
    config = dict(kv.split("=", 1) for kv in args[config_at + 1:])
    json.dump(_dump(Path(args[0]).resolve(), args[1:config_at], config), sys.stdout)


if __name__ == "__main__":
    main()
