"""The month_record rule: the month's finished search trials and verdict -> months/<month>.json,
what next month's warm start reads (tunelab.search.warmstart)."""

from __future__ import annotations

import json
from pathlib import Path

from tunelab.collect import read_parts, trial_history
from tunelab.io import write_text
from tunelab.search.warmstart import month_record


def month_record_file(part_paths: list[str], decision_path: str, study: str, month: str,
                      objective: str, output: str) -> dict:
    """The month_record rule: the collected parts and decision.json -> months/<month>.json."""
    blocks = read_parts(part_paths)
    groups = {b["trial"]: b.get("group", "") for b in blocks}
    history = [{**t, "group": groups[t["trial"]]} for t in trial_history(blocks, objective)]
    record = month_record(history, json.loads(Path(decision_path).read_text()), month, study)
    write_text(output, json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"{month}: {len(record['trials'])} trials, verdict {record['verdict']}")
    return record
