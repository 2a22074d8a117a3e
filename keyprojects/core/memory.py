"""Big one-off jobs (a ledger import, a province's export) and Python's garbage collector."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """A ledger import builds objects for every row (and an export keeps them to the end): Python's
    cyclic garbage collector would walk them again and again (a fifth of a 20,000-row import's
    time; in a long-running process, where the heap is large, several seconds of a province's
    export) to find next to nothing. Reference counting frees everything else as usual, and the few cycles
    left are collected once it is back on. The switch is process-wide: a job's thread holds
    other threads' cyclic garbage for its few seconds too. Nested or overlapping uses leave it
    on as soon as the first one ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
