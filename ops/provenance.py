"""Which code a report describes: the commit of the working tree it ran on."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def git_commit(root: Path = ROOT) -> str | None:
    """The short commit of HEAD, with `+dirty` when the tree has uncommitted changes; None
    outside a git checkout."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        )
        if head.returncode == 0:
            dirty = subprocess.run(
                ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, timeout=10
            ).stdout.strip()
            return head.stdout.strip() + ("+dirty" if dirty else "")
    return None
