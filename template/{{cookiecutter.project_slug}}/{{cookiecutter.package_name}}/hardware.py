"""What a run or a measurement ran on, so its figures can be read and repeated.

Training records it with every run; both benchmarks print it above their tables.
`CpuWatch` tells how the machine's CPU time was spent while a measurement ran:
on a virtual machine, time the hypervisor gave to other guests (steal) makes a
figure that of a smaller, busier machine.
"""

import os
import platform
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

PROC_STAT = Path("/proc/stat")
# Above this share of the CPU stolen by the hypervisor, a measurement says as
# much about the host's other guests as about the code: measure again.
STOLEN_WARNING = 0.05


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


def percent(share: float | None) -> str:
    """A CPU share as reports print it, e.g. "12 %"; "n/a" when unknown."""
    return "n/a" if share is None else f"{share * 100:.0f} %"


@dataclass(frozen=True)
class CpuUse:
    """Shares of the machine's CPU time over an interval, summing to 1."""

    busy: float  # running anything: the measured code, its load client, others
    idle: float  # nothing to run (waiting for I/O included)
    stolen: float  # runnable, but the hypervisor ran another guest instead

    def describe(self) -> str:
        text = (
            f"{percent(self.busy)} busy, {percent(self.idle)} idle, "
            f"{percent(self.stolen)} stolen by the hypervisor"
        )
        if self.stolen >= STOLEN_WARNING:
            text += " (measure again on a quieter machine)"
        return text


@dataclass(frozen=True)
class CpuTimes:
    """The machine's CPU time since boot, in clock ticks summed over its cores."""

    busy: int
    idle: int
    stolen: int

    @classmethod
    def read(cls, stat: Path = PROC_STAT) -> "CpuTimes | None":
        """The totals now, from /proc/stat; None where there is none (not Linux)."""
        try:
            fields = stat.read_text().split("\n", 1)[0].split()
        except OSError:
            return None
        if not fields or fields[0] != "cpu":
            return None
        # user nice system idle iowait irq softirq steal; guest time is in user.
        ticks = [int(value) for value in fields[1:9]]
        user, nice, system, idle, iowait, irq, softirq, steal = ticks + [0] * (
            8 - len(ticks)
        )
        return cls(user + nice + system + irq + softirq, idle + iowait, steal)

    def __add__(self, other: "CpuTimes") -> "CpuTimes":
        return CpuTimes(
            self.busy + other.busy, self.idle + other.idle, self.stolen + other.stolen
        )

    def __sub__(self, other: "CpuTimes") -> "CpuTimes":
        return CpuTimes(
            self.busy - other.busy, self.idle - other.idle, self.stolen - other.stolen
        )

    def shares(self) -> CpuUse | None:
        """These ticks as shares of their total (None: no tick)."""
        total = self.busy + self.idle + self.stolen
        if total <= 0:
            return None
        return CpuUse(
            round(self.busy / total, 3),
            round(self.idle / total, 3),
            round(self.stolen / total, 3),
        )


class CpuWatch:
    """``with CpuWatch() as watch: ...``, then ``watch.use``: a `CpuUse` or None.

    None where /proc/stat does not exist, or if the block took less than a tick.
    ``watch.spent`` keeps the block's ticks, so several blocks can be added up
    (e.g. the rounds of a load, without the pauses between them).
    """

    def __init__(self, stat: Path = PROC_STAT) -> None:
        self.stat = stat
        self.spent: CpuTimes | None = None
        self._start: CpuTimes | None = None

    @property
    def use(self) -> CpuUse | None:
        return None if self.spent is None else self.spent.shares()

    def __enter__(self) -> "CpuWatch":
        self._start = CpuTimes.read(self.stat)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        end = CpuTimes.read(self.stat)
        if self._start is not None and end is not None:
            self.spent = end - self._start
