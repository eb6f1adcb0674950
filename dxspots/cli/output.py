"""What the commands print of their own, when the reader may have gone away."""

from __future__ import annotations

import os
import sys


def say(text: str) -> None:
    """Print a line of `up`'s own; a reader that went away (`| tee`, killed by the same
    Ctrl-C) must not stop `up` before it has stopped its children."""
    try:
        print(text, flush=True)
    except BrokenPipeError:  # what is still buffered goes nowhere, not into an error at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
