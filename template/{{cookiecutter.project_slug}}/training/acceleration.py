"""Device, mixed precision and torch.compile: fast on a GPU, still correct on a CPU.

Each option asked for but not workable on this machine degrades with a warning
(a `RuntimeWarning` naming the option and the reason) instead of crashing:
``amp=true`` on a CPU without bfloat16 support trains in float32, and
``compile=true`` where compiling fails runs the model eagerly.
"""

import contextlib
import copy
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import torch
from torch import nn
from torch.nn import functional

from .config import ConfigError

Result = TypeVar("Result")


def select_device(requested: str) -> torch.device:
    """``auto`` -> cuda when available, else cpu; ``cuda`` must really exist."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            "device=cuda, but torch sees no CUDA device (torch.cuda.is_available() "
            "is False); use device=auto or device=cpu"
        )
    return torch.device(requested)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def _autocast_probe(device_type: str, dtype: torch.dtype) -> None:
    """A convolution, a linear layer and their gradients under autocast.

    Uses its own random generator, so probing leaves the seeded streams alone.
    """
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(2, 3, 8, 8, generator=generator).to(device_type)
    kernel = torch.randn(4, 3, 3, 3, generator=generator).to(device_type)
    weight = torch.randn(5, 144, generator=generator).to(device_type)
    kernel.requires_grad_(True)
    weight.requires_grad_(True)
    with torch.autocast(device_type, dtype=dtype):
        hidden = functional.conv2d(inputs, kernel, padding=1).flatten(1)
        logits = functional.linear(hidden[:, :144], weight)
    logits.float().sum().backward()


@dataclass(frozen=True)
class Precision:
    """How the forward pass runs: autocast to ``dtype``, or float32 if None."""

    device_type: str
    dtype: torch.dtype | None = None

    @property
    def name(self) -> str:
        return str(self.dtype or torch.float32).removeprefix("torch.")

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def grad_scaler(self) -> torch.amp.GradScaler:
        """Loss scaling, which only float16 needs (bfloat16 keeps float32's range)."""
        return torch.amp.GradScaler(
            self.device_type, enabled=self.dtype == torch.float16
        )


def choose_precision(amp: bool, device: torch.device) -> Precision:
    """float16 autocast on CUDA; bfloat16 on CPU if it works here; else float32."""
    if not amp:
        return Precision(device.type)
    dtype = torch.float16 if device.type == "cuda" else torch.bfloat16
    try:
        _autocast_probe(device.type, dtype)
    except Exception as error:
        warnings.warn(
            f"amp=true: {str(dtype).removeprefix('torch.')} autocast does not work "
            f"on this {device.type} ({_first_line(error)}); training in float32",
            RuntimeWarning,
            stacklevel=2,
        )
        return Precision(device.type)
    return Precision(device.type, dtype)


class CompiledModel:
    """The model, compiled with torch.compile when asked, eager once that fails.

    Compiling is lazy: it happens in the first call for each mode and input
    shape, and can fail there (no C++ compiler, an unsupported platform). Such
    first calls run through `guarded`: on failure the model's weights and the
    random state are put back as they were, a warning is given, and the same
    step is rerun eagerly, so a failed compile changes nothing but speed.
    """

    def __init__(self, model: nn.Module, enabled: bool) -> None:
        self.model = model
        self.compiled: Callable[..., torch.Tensor] | None = None
        self.status = "off"
        self._proven: set[tuple[bool, tuple[int, ...]]] = set()
        if enabled:
            try:
                self.compiled = torch.compile(model)
                self.status = "compiled"
            except Exception as error:
                self._fall_back(error)

    def _fall_back(self, error: BaseException) -> None:
        warnings.warn(
            f"compile=true: torch.compile failed ({_first_line(error)}); "
            "continuing in eager mode",
            RuntimeWarning,
            stacklevel=3,
        )
        self.compiled = None
        self.status = "failed, eager"

    def guarded(
        self, inputs: torch.Tensor, step: Callable[[Callable], Result]
    ) -> Result:
        """``step(forward)`` with the compiled forward, or eagerly after a failure."""
        if self.compiled is None:
            return step(self.model)
        key = (self.model.training, tuple(inputs.shape))
        if key in self._proven:
            return step(self.compiled)
        try:
            with _restorable(self.model):
                result = step(self.compiled)
        except Exception as error:
            self._fall_back(error)
            return step(self.model)
        self._proven.add(key)
        return result


@contextlib.contextmanager
def _restorable(model: nn.Module) -> Iterator[None]:
    """Put weights and random state back if the block raises."""
    weights = copy.deepcopy(model.state_dict())
    cpu_state = torch.get_rng_state()
    cuda_states = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
    try:
        yield
    except Exception:
        model.load_state_dict(weights)
        torch.set_rng_state(cpu_state)
        if cuda_states:
            torch.cuda.set_rng_state_all(cuda_states)
        raise
