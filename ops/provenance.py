"""Which code a report describes: the commit of the working tree it ran on."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def git_commit(root: Path = ROOT) -> str | None:
    """The short commit of HEAD, with `+dirty` when code differs from it; None outside a git
    checkout. The reports themselves (docs/, bench/results/) do not count: a run that rewrote
    the previous run's report still ran on the committed code."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        )
        if head.returncode == 0:
            dirty = subprocess.run(
                ["git", "status", "--porcelain", "--", ".", ":!docs", ":!bench/results"],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
            return head.stdout.strip() + ("+dirty" if dirty else "")
    return None
