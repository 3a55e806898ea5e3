"""What a run or a measurement ran on, so its figures can be read and repeated.

Training records it with every run; both benchmarks print it above their tables.
"""

import os
import platform
from pathlib import Path
from typing import Any


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), else its architecture."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(gpu: str | None) -> dict[str, Any]:
    """CPU, cores, the GPU in use (None: none), Python, PyTorch and the host."""
    import torch  # here, not at the top: the rest of the shared package needs no torch

    return {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "gpu": gpu,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "host": platform.node(),
    }
