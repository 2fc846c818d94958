"""The training job of a trial that its job group trained (trials_per_job): put the trial's files,
written by the group's job under results/<study>/runs/<period>/groups/<group>/<block>/<trial>/,
where the trial's own outputs belong. Hard links (a copy where the file system has none), no torch:
this job costs a Python start-up, not a training run.

Takes the same arguments as `python -m tunelab.train.loop`; the spec's `from_group` names the group's
folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

from tunelab.io import end_job

FILES = ("models.pt", "curves.csv", "test.json", "metrics.json")  # metrics.json last: the block is done


def link_outputs(group_dir: str | Path, trial: str, out_dir: str | Path) -> None:
    source, out = Path(group_dir) / trial, Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        tmp = out / f".{name}.tmp"
        tmp.unlink(missing_ok=True)
        try:
            os.link(source / name, tmp)
        except OSError:
            shutil.copy2(source / name, tmp)
        os.replace(tmp, out / name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", required=True)
    parser.add_argument("--data")
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    spec = json.loads(args.spec)
    link_outputs(spec["from_group"], spec["trial"], Path(args.metrics).parent)
    print(f"[{spec['period']} {spec['trial']}] trained by job group {spec['from_group']}", flush=True)
    return 0


if __name__ == "__main__":
    end_job(main())
