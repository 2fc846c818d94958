"""Benchmark: batched training against one seed alone, and the training code before batching.

    python benchmarks/batched.py                       # 8 members, 3 epochs, 1 thread, CPU
    python benchmarks/batched.py --members 64 --device cuda
    python benchmarks/batched.py --where               # where an extra member's time goes (mlp 32)

On one period of the embedded data (the default study's first period, month 2026-11), with one
torch thread, every measurement in a fresh process of its own, in one run of this script:
- for the default study's MLP at width 32 and 256 (its first trial's learning rate and weight
  decay, adamw, 2 layers, dropout 0.1, batch 64) and the LSTM and CNN defaults: the time of
  `--members` seeds trained together (the automatic path: stacked for linear/mlp, the loop for
  lstm/cnn) divided by one seed alone; the same seeds one after another in today's loop; and the
  code before batched training (git revision `--before`, the loop with a host sync every step);
- the training-job part of the default study on a representative subset: every job of its first
  period (both widths, all trials, 3 seeds each), epochs capped at `--epochs`, with this code and
  with the code before, as a ratio (the full study, 36 jobs x 30 epochs, is too slow to repeat on
  a shared 2-core machine).
Wall time and CPU time of the process are both printed: on a shared machine the CPU time is the
steadier of the two.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, machine

DEFAULTS = {"optimizer": "adam", "batch_size": 128, "learning_rate": 1.0e-3}  # tunelab's built-in
MLP = {"hidden_size": 32, "num_layers": 2, "dropout": 0.1, "optimizer": "adamw", "batch_size": 64,
       "learning_rate": 4.735e-4, "weight_decay": 1.643e-6, "patience": 0}


def worker(args) -> None:
    """In a fresh process: train what `args.case` asks for and print its times as JSON."""
    import torch

    torch.set_num_threads(1)
    from tunelab.data.windows import load_prepared, period_data
    from tunelab.train import loop

    case = json.loads(args.case)
    device = torch.device(case.get("device", "cpu"))
    data = period_data(load_prepared(case["data"]), case["windows"], 24, 24)
    seeds = list(range(case.get("members", 1)))
    start, cpu = time.perf_counter(), time.process_time()
    if case["mode"] == "profile":
        return print(json.dumps(op_times(data, case, seeds, device)))
    if case["mode"] == "jobs":
        for i, spec in enumerate(case["specs"]):
            loop.train_job(spec, case["data"], f"{case['out']}/{i}")
    elif case["mode"] == "together":
        loop.train_block(data, case["architecture"], [case["values"]], seeds, 24, device)
    else:  # one after another, in the loop of this code (old or new)
        for seed in seeds:
            loop.train_run(data, case["architecture"], case["values"], 24, seed, device)
    if device.type == "cuda":
        torch.cuda.synchronize()
    print(json.dumps({"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu}))


def op_times(data, case: dict, seeds: list[int], device) -> dict:
    """One `together` training after a warm-up one: its CPU time and optimizer steps, then, in a
    third training under the profiler (which adds a cost per op), each torch op's self CPU time."""
    import math

    from torch.profiler import ProfilerActivity, profile
    from tunelab.train import loop

    def train():
        loop.train_block(data, case["architecture"], [case["values"]], seeds, 24, device)

    train()
    start = time.process_time()
    train()
    cpu = time.process_time() - start
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        train()
    steps = math.ceil(len(data.train.y) / case["values"]["batch_size"]) * case["values"]["epochs"]
    return {"ops": {e.key: e.self_cpu_time_total / 1e6 for e in prof.key_averages()}, "cpu": cpu,
            "steps": steps}


def where_members_go(data: str, windows: dict, members: int, epochs: int) -> None:
    """Why 8 members cost what they cost at width 32: profile `members` and 2x `members` trained
    together and print, per torch op, the extra time one more member costs per step (the c of a
    step's cost o + c x members), and the fixed part o."""
    values = {**MLP, "epochs": epochs, "patience": 0}
    base = {"data": data, "windows": windows, "architecture": "mlp", "values": values, "mode": "profile"}
    few, many = (run_case(REPO, {**base, "members": m}) for m in (members, 2 * members))
    steps = few["steps"]
    per = {k: (many["ops"].get(k, 0.0) - few["ops"].get(k, 0.0)) / members / steps * 1e6
           for k in set(few["ops"]) | set(many["ops"])}
    c = (many["cpu"] - few["cpu"]) / members / steps * 1e3
    o = few["cpu"] / steps * 1e3 - members * c
    print(f"mlp 32, {members} and {2 * members} members together, {steps} steps: a step costs "
          f"o + c x members with o = {o:.3f} ms and c = {c:.3f} ms (CPU), so 8 together / 1 alone "
          f"is about (o + 8c) / (o + c) = {(o + 8 * c) / (o + c):.2f}")
    print("the extra member's cost per step by torch op (profiler self time, microseconds; the "
          "profiler's own cost per op is in o):")
    for k, v in sorted(per.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {k:<32} {v:6.1f}")


def grouped_conv(members: int, steps: int = 30) -> tuple[float, float]:
    """CPU ms per forward+backward step of the CNN default's body (2 conv layers of 32 channels,
    kernel 3, batch 128, 24 lags x 12 inputs): `members` models in a loop, and one grouped conv."""
    import torch
    from torch import nn

    torch.set_num_threads(1)
    batch, channels, lags, inputs = 128, 32, 24, 12

    def body(groups):
        return nn.Sequential(nn.Conv1d(groups * inputs, groups * channels, 3, padding="same", groups=groups),
                             nn.ReLU(), nn.Conv1d(groups * channels, groups * channels, 3, padding="same",
                                                  groups=groups), nn.ReLU())

    models, grouped = [body(1) for _ in range(members)], body(members)
    xs = [torch.randn(batch, inputs, lags) for _ in range(members)]
    x = torch.cat(xs, 1)

    def timed(step):
        start = time.process_time()
        for _ in range(steps):
            step()
        return (time.process_time() - start) / steps * 1e3

    loop = timed(lambda: [m(xi).sum().backward() for m, xi in zip(models, xs, strict=True)])
    return loop, timed(lambda: grouped(x).sum().backward())


def run_case(tree: Path, case: dict) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree / "workflow"), "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, __file__, "--worker", "--case", json.dumps(case)],
                         env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def old_tree(rev: str, root: Path) -> Path:
    """The package as it was at `rev`, extracted next to the scratch data."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "workflow/tunelab"],
                             capture_output=True, check=True).stdout
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
    return root


def setup(root: Path) -> tuple[str, dict, list[dict]]:
    """Prepared data, the first period's windows, and the first period's job specs."""
    sys.path.insert(0, str(REPO / "workflow"))
    os.chdir(REPO)
    from tunelab.data.dataset import prepare_file
    from tunelab.workflow import load_studies, spec_json

    sp = load_studies({"study": "default", "month": "2026-11"})["default"]
    data = str(root / "prepared.parquet")
    prepare_file(sp.dataset, data)
    jobs = [json.loads(spec_json(sp, *job)) for job in sp.plan.jobs()]
    first = [j for j in jobs if j["period"] == jobs[0]["period"]]
    return data, first[0]["windows"], first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--before", default="16749ae", help="git revision of the code before batching")
    parser.add_argument("--where", action="store_true",
                        help="only profile where an extra member's time goes (mlp 32), then stop")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    root = Path(tempfile.mkdtemp(prefix="tunelab-bench-batched-"))
    data, windows, specs = setup(root)
    if args.where:
        return where_members_go(data, windows, args.members, args.epochs)
    before = old_tree(args.before, root / "before") if args.device == "cpu" else None  # a GPU copy has no git
    print(f"machine: {machine()}; 1 torch thread; {args.members} members; {args.epochs} epochs; "
          f"device {args.device}; before = {args.before}")
    print(f"{'model':<10} {'1 alone':>9} {'together':>9} {'ratio':>6} {'loop now':>9} {'before':>9}  "
          "(seconds, CPU; ratio = together / 1 alone)")
    epochs = {"epochs": args.epochs, "patience": 0}
    models = {"mlp 32": ("mlp", {**MLP, **epochs}),
              "mlp 256": ("mlp", {**MLP, **epochs, "hidden_size": 256}),
              "lstm": ("lstm", {**epochs, **DEFAULTS, "hidden_size": 32, "num_layers": 1, "dropout": 0.0}),
              "cnn": ("cnn", {**epochs, **DEFAULTS, "channels": 32, "kernel_size": 3, "num_layers": 2,
                              "dropout": 0.0})}
    for name, (arch, values) in models.items():
        base = {"data": data, "windows": windows, "architecture": arch, "values": values,
                "device": args.device}
        one = run_case(REPO, {**base, "mode": "loop", "members": 1})
        together = run_case(REPO, {**base, "mode": "together", "members": args.members})
        now = run_case(REPO, {**base, "mode": "loop", "members": args.members}) \
            if arch in ("linear", "mlp") else together  # lstm, cnn: the loop is the automatic path
        old = run_case(before, {**base, "mode": "loop", "members": args.members}) \
            if args.device == "cpu" else {"cpu": float("nan"), "wall": float("nan")}
        print(f"{name:<10} {one['cpu']:9.2f} {together['cpu']:9.2f} {together['cpu'] / one['cpu']:6.2f} "
              f"{now['cpu']:9.2f} {old['cpu']:9.2f}  wall: {one['wall']:.2f} {together['wall']:.2f} "
              f"{now['wall']:.2f} {old['wall']:.2f}; members/s together {args.members / together['wall']:.2f}")
    if args.device == "cpu":
        loop, grouped = grouped_conv(args.members)
        print(f"cnn body, {args.members} members, one step forward+backward: loop {loop:.1f} ms, "
              f"grouped conv {grouped:.1f} ms (CPU)")
    capped = [{**s, "device": args.device, "hyperparameters": {**s["hyperparameters"], "epochs": args.epochs}}
              for s in specs]
    job = {"data": data, "windows": windows, "mode": "jobs", "specs": capped}
    new = run_case(REPO, {**job, "out": str(root / "new")})
    if before is None:
        print(f"default study, training jobs of period {specs[0]['period']} ({len(specs)} jobs x "
              f"{len(specs[0]['seeds'])} seeds, {args.epochs} epochs) on {args.device}: {new['wall']:.1f} s wall, "
              f"{new['cpu']:.1f} s CPU")
        return
    old = run_case(before, {**job, "out": str(root / "old")})
    print(f"default study, training jobs of period {specs[0]['period']} ({len(specs)} jobs x "
          f"{len(specs[0]['seeds'])} seeds, {args.epochs} epochs): before {old['cpu']:.1f} s CPU "
          f"({old['wall']:.1f} s wall), now {new['cpu']:.1f} s CPU ({new['wall']:.1f} s wall): "
          f"ratio now / before {new['cpu'] / old['cpu']:.2f} CPU, {new['wall'] / old['wall']:.2f} wall")


if __name__ == "__main__":
    main()
