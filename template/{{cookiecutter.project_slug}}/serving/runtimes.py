"""Model-level serving options: one trained checkpoint, several ways to run it.

- ``eager``: the PyTorch module as trained (the default).
- ``torchscript``: traced, frozen and optimized for inference by PyTorch.
- ``onnx``: exported to ONNX and run by ONNX Runtime.
- ``onnx-int8``: that ONNX model with int8 weights (dynamic quantization: the
  activations are quantized at run time, no calibration data needed).

The service picks one with ``SERVING_VARIANT``, the number of threads each
worker computes with ``SERVING_THREADS`` and the number of worker processes
with ``SERVING_WORKERS``; `serving.bench` measures them all. Every variant
answers the same question as `model.predict`: for a batch of encoded inputs
(``problem.encode_input`` of each, stacked), class probabilities ``(n,
classes)`` or values in the target's units ``(n,)``. Tracing and exporting need
one real input: the contract's input sample, decoded and encoded for the
model's spec, unless the caller passes one.
"""

import ctypes
import json
import os
import platform
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from {{ cookiecutter.package_name }} import model as shared_model
from {{ cookiecutter.package_name }} import paths, problem
from {{ cookiecutter.package_name }}.spec import ContractError, Spec

VARIANTS: tuple[str, ...] = ("eager", "torchscript", "onnx", "onnx-int8")
DEFAULT_VARIANT = "eager"
VARIANT_VARIABLE = "SERVING_VARIANT"
THREADS_VARIABLE = "SERVING_THREADS"
WORKERS_VARIABLE = "SERVING_WORKERS"
# glibc mallopt(3) parameters and the values `settle_allocator` sets.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024  # glibc's largest allowed value
TRIM_THRESHOLD_BYTES = 128 * 1024 * 1024


class RuntimeOptionError(ValueError):
    """A serving variable set to a value it cannot take; the message names it."""


class Runtime(Protocol):
    """A checkpoint loaded as one variant."""

    variant: str
    spec: Spec  # the fitted spec the model was trained with

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Probabilities (n, classes) or values (n,) for encoded inputs (n, ...)."""
        ...


@dataclass(frozen=True)
class RuntimeOptions:
    variant: str = DEFAULT_VARIANT
    threads: int | None = None  # None: the library's default (all cores)


def positive_int_from_env(
    name: str, default: int | None, env: dict[str, str] | None = None
) -> int | None:
    """The whole number in variable ``name`` (1 or more), or ``default`` if unset."""
    text = (os.environ if env is None else env).get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise RuntimeOptionError(f"{name}={text!r} must be a whole number, 1 or more")
    return int(text)


def options_from_env(env: dict[str, str] | None = None) -> RuntimeOptions:
    """`RuntimeOptions` from ``SERVING_VARIANT`` and ``SERVING_THREADS``."""
    env = dict(os.environ) if env is None else env
    variant = env.get(VARIANT_VARIABLE, "").strip() or DEFAULT_VARIANT
    if variant not in VARIANTS:
        raise RuntimeOptionError(
            f"{VARIANT_VARIABLE}={variant!r} is not a model variant; "
            f"choose one of {', '.join(VARIANTS)}"
        )
    return RuntimeOptions(variant, positive_int_from_env(THREADS_VARIABLE, None, env))


def workers_from_env(env: dict[str, str] | None = None) -> int:
    """Worker processes of the service (``SERVING_WORKERS``, default 1)."""
    return positive_int_from_env(WORKERS_VARIABLE, 1, env) or 1


def settle_allocator() -> bool:
    """Keep freed activation memory in the process instead of unmapping it.

    glibc serves allocations above 128 KiB with fresh mmap()ed pages and gives
    freed memory back to the kernel, so at batch size 1 every forward pass
    page-faults its activations in again: measured here, the eager model ran
    ~30% slower per request than after a large batch had raised glibc's own
    thresholds (which only happens in the thread that ran that batch).
    Fixed thresholds apply to every thread, e.g. BentoML's request threads.
    Returns whether they were set (only glibc has them; elsewhere a no-op).
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)
    return bool(
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
        and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    )


def as_numpy(spec: Spec, outputs: torch.Tensor) -> np.ndarray:
    """Raw network output -> probabilities or values (`model.from_outputs`)."""
    return shared_model.from_outputs(spec, outputs).numpy()


class TorchRuntime:
    """The eager module, or its TorchScript form."""

    def __init__(self, module: Any, variant: str, spec: Spec) -> None:
        self.module = module
        self.variant = variant
        self.spec = spec

    def predict(self, batch: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return as_numpy(self.spec, self.module(torch.from_numpy(batch)))


class OnnxRuntime:
    """An ONNX file run by an ONNX Runtime session on the CPU."""

    def __init__(
        self, path: Path, variant: str, spec: Spec, threads: int | None
    ) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name
        self.variant = variant
        self.spec = spec

    def predict(self, batch: np.ndarray) -> np.ndarray:
        (outputs,) = self.session.run(None, {self.input_name: batch})
        return as_numpy(self.spec, torch.from_numpy(outputs))


def sample_input(spec: Spec) -> np.ndarray:
    """The contract's input sample, encoded for ``spec`` (one input, no batch axis)."""
    path = paths.contracts_dir() / "input.sample.json"
    # Why the sample matters, for either failure below.
    needed = (
        "the traced and exported variants are made with it, so it must fit "
        "the model's problem (the data room rewrites it: python -m data contract)"
    )
    try:
        payload = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise RuntimeOptionError(f"cannot read {path}: {error}; {needed}") from None
    try:
        decoded = problem.decode_request(spec, payload)
    except ContractError as error:
        raise RuntimeOptionError(f"{path} was refused: {error}; {needed}") from None
    return problem.encode_input(spec, decoded)


def export_onnx(module: torch.nn.Module, example: np.ndarray, path: Path) -> Path:
    """Write ``module`` as ONNX with a variable batch dimension."""
    # The TorchScript-based exporter: quick, and needs no onnxscript.
    torch.onnx.export(
        module,
        (torch.from_numpy(example[None]),),
        str(path),
        input_names=["inputs"],
        output_names=["outputs"],
        dynamic_axes={"inputs": {0: "batch"}, "outputs": {0: "batch"}},
        dynamo=False,
    )
    return path


def quantize_onnx(source: Path, target: Path) -> Path:
    """int8 weights, activations quantized at run time (dynamic quantization)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)
    return target


def load_predictor(
    checkpoint: Path,
    options: RuntimeOptions,
    workdir: Path | None = None,
    example: np.ndarray | None = None,
) -> Runtime:
    """The checkpoint as ``options.variant``; exports go to ``workdir`` (or a temp).

    ``example`` is one encoded input to trace and export with (default: the
    contract's input sample, `sample_input`); the eager model needs none.
    """
    if options.variant not in VARIANTS:
        raise RuntimeOptionError(
            f"unknown model variant {options.variant!r}; "
            f"choose one of {', '.join(VARIANTS)}"
        )
    settle_allocator()
    if options.threads is not None:
        torch.set_num_threads(options.threads)
    module, spec, _ = shared_model.load_checkpoint(checkpoint)
    if options.variant == "eager":
        return TorchRuntime(module, "eager", spec)
    if example is None:
        example = sample_input(spec)
    if options.variant == "torchscript":
        with torch.no_grad():
            traced = torch.jit.trace(module, torch.from_numpy(example[None]))
            frozen = torch.jit.optimize_for_inference(torch.jit.freeze(traced))
        return TorchRuntime(frozen, "torchscript", spec)
    folder = workdir or Path(tempfile.mkdtemp(prefix="serving-onnx-"))
    folder.mkdir(parents=True, exist_ok=True)
    onnx_path = export_onnx(module, example, folder / "model.onnx")
    if options.variant == "onnx-int8":
        onnx_path = quantize_onnx(onnx_path, folder / "model-int8.onnx")
    return OnnxRuntime(onnx_path, options.variant, spec, options.threads)
