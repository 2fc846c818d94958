"""`snakemake --lint` reports nothing: a log on every rule, an environment, no parse-time writes."""

import subprocess
import sys

from conftest import REPO


def test_snakemake_lint_is_clean():
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--lint", "--cores", "1"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "Congratulations" in proc.stdout + proc.stderr
