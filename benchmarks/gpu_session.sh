#!/usr/bin/env bash
# Issue 26's GPU checks as one short run on a lent device machine (the `device` tool; a few minutes):
#   run(command="bash benchmarks/gpu_session.sh", carry=[".whl"], timeout_s=540)
# It prints the GPU, then `benchmarks/batched.py --device cuda --members 64`: the default study's
# MLP (width 32 and 256), the LSTM and the CNN, 64 members together against 1 alone (members per
# second on the GPU; the 2-core CPU's figure comes from the same command with --device cpu here),
# and the default study's training jobs of one period with device: cuda (Snakemake is not in the
# device image, so the jobs run as the train rule would run them, one after another).
#
# The device image has torch, numpy, scipy, pandas, pyarrow, matplotlib and pyyaml, not jsonschema
# (tunelab's study validation). Make its wheels here once, in the repository's root:
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
#     jsonschema jsonschema-specifications referencing rpds-py
# Here (no GPU) `DEVICE=cpu MEMBERS=2 EPOCHS=1 bash benchmarks/gpu_session.sh` runs the same steps.
set -euo pipefail
out=${OUT:-results/gpu}
mkdir -p "$out"
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=workflow${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no nvidia-smi"
  python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
} | tee "$out/machine.txt"
python3 benchmarks/batched.py --device "${DEVICE:-cuda}" --members "${MEMBERS:-64}" --epochs "${EPOCHS:-3}" \
  2>&1 | tee "$out/batched.txt"
