"""shared/allocator.py: free pages held inside the heap go back to the system. Not skipped off
glibc: there the call is a no-op, the memory stays held, and this test says so by failing."""

from __future__ import annotations

import os

from shared import allocator


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_free_pages_under_live_blocks_are_given_back() -> None:
    # 1 KiB bytes objects come from malloc (pymalloc serves 512 bytes at most). Keeping every
    # 64th alive leaves 63 KiB holes under live blocks, so glibc's free() returns none of them,
    # the shape a long-lived service's heap takes.
    blocks = [bytes(1024) for _ in range(96 * 1024)]
    kept = blocks[::64]
    del blocks
    held = _rss_mib()

    assert allocator.give_back_freed_memory()

    given_back = held - _rss_mib()
    assert given_back > 48, f"{given_back:.1f} MiB of about 90 MiB freed given back"
    assert all(len(block) == 1024 for block in kept)  # the live blocks are untouched
