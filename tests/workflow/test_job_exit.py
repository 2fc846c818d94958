"""end_job: a finished job's process ends without the interpreter's teardown, losing nothing."""

import subprocess
import sys
import textwrap

ENDS = """
import atexit, sys
from pathlib import Path
from tunelab.io import end_job, write_text
out = Path(sys.argv[1])
write_text(out / "output.txt", "written")
atexit.register(lambda: (out / "atexit.txt").write_text("ran"))
print("buffered, not yet flushed", end="")
class Teardown:  # what the interpreter's teardown would run
    def __del__(self):
        (out / "teardown.txt").write_text("ran")
kept = Teardown()
{before}
end_job({code})
(out / "after.txt").write_text("end_job returned")
"""


def run(tmp_path, before="", code=0):
    script = textwrap.dedent(ENDS.format(before=before, code=code))
    return subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True)


def test_end_job_keeps_outputs_stdout_exit_handlers_and_status(tmp_path):
    done = run(tmp_path, code=3)
    assert done.returncode == 3
    assert done.stdout == "buffered, not yet flushed"
    assert (tmp_path / "output.txt").read_text() == "written"
    assert (tmp_path / "atexit.txt").read_text() == "ran"
    assert not (tmp_path / "after.txt").exists()
    assert not (tmp_path / "teardown.txt").exists()  # skipped: the time it saves


def test_end_job_waits_for_a_thread_still_at_work(tmp_path):
    thread = ("import threading, time\n"
              "threading.Thread(target=lambda: (time.sleep(0.3), (out / 'thread.txt').write_text('done'))).start()")
    done = run(tmp_path, before=thread)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "thread.txt").read_text() == "done"
    assert (tmp_path / "atexit.txt").read_text() == "ran"


def test_end_job_lets_a_profiler_write_its_results(tmp_path):
    script = "from tunelab.io import end_job\nend_job()\n"
    (tmp_path / "job.py").write_text(script)
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(tmp_path / "job.prof"),
                           str(tmp_path / "job.py")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "job.prof").stat().st_size > 0


def test_every_job_ends_with_end_job():
    """Each script adapter's last statement, and each training entry point's __main__ block."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "workflow"

    def ends_with_end_job(body):
        last = body[-1]
        return (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
                and getattr(last.value.func, "id", None) == "end_job")

    adapters = sorted((root / "scripts").glob("*.py"))
    assert adapters and [p.name for p in adapters if not ends_with_end_job(ast.parse(p.read_text()).body)] == []
    for entry in ("loop", "command", "from_group"):
        main = ast.parse((root / "tunelab" / "train" / f"{entry}.py").read_text()).body[-1]
        assert isinstance(main, ast.If) and ends_with_end_job(main.body), entry
