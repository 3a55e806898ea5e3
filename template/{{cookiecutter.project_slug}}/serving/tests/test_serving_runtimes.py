"""The model variants of `serving.runtimes`: same outputs, chosen by variables."""

import platform
import subprocess
import sys

import aiohttp
import numpy as np
import pytest

from {{ cookiecutter.package_name }} import problem

from serving import runtimes
from serving.model_calls import stale_connection
from serving.runtimes import (
    VARIANTS,
    RuntimeOptionError,
    RuntimeOptions,
    load_predictor,
    options_from_env,
    sample_input,
    workers_from_env,
)


def test_the_default_is_the_eager_model_with_the_library_threads():
    assert options_from_env({}) == RuntimeOptions("eager", None)
    chosen = {"SERVING_VARIANT": "onnx", "SERVING_THREADS": "2"}
    assert options_from_env(chosen) == RuntimeOptions("onnx", 2)


def test_one_worker_unless_serving_workers_says_more():
    assert workers_from_env({}) == 1
    assert workers_from_env({"SERVING_WORKERS": "4"}) == 4
    with pytest.raises(RuntimeOptionError, match="SERVING_WORKERS='0' must be"):
        workers_from_env({"SERVING_WORKERS": "0"})


# Prints how many blocks glibc mmap()ed for one 4 MiB allocation in a fresh
# process, after settling the allocator or not (glibc 2.33+ has mallinfo2).
MAPPED_BLOCKS = """
import ctypes, sys
from serving.runtimes import settle_allocator
if sys.argv[1] == "settled":
    assert settle_allocator()
fields = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in fields.split()]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
before = libc.mallinfo2().hblks
block = libc.malloc(4 << 20)
print(libc.mallinfo2().hblks - before)
libc.free(ctypes.c_void_p(block))
"""


@pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="mallopt thresholds are glibc's"
)
def test_a_settled_allocator_keeps_activation_sized_blocks_off_mmap():
    def mapped_blocks(mode: str) -> int:
        command = [sys.executable, "-c", MAPPED_BLOCKS, mode]
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        return int(result.stdout)

    assert mapped_blocks("default") == 1  # glibc's default: fresh pages each time
    assert mapped_blocks("settled") == 0  # reused heap memory


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SERVING_VARIANT": "tensorrt"}, "SERVING_VARIANT='tensorrt' is not"),
        ({"SERVING_THREADS": "0"}, "SERVING_THREADS='0' must be a whole number, 1"),
        ({"SERVING_THREADS": "two"}, "SERVING_THREADS='two' must be a whole number"),
    ],
)
def test_a_wrong_choice_names_the_variable_and_the_options(env, message):
    with pytest.raises(RuntimeOptionError, match=message) as raised:
        options_from_env(env)
    if "SERVING_VARIANT" in env:
        assert ", ".join(VARIANTS) in str(raised.value)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, save_model):
    return save_model(tmp_path_factory.mktemp("runtimes") / "model.pt", seed=3)


@pytest.fixture(scope="module")
def batch(synthetic) -> np.ndarray:
    """Five encoded synthetic inputs, as the service encodes requests."""
    decoded = [problem.load_input(example) for example in synthetic.examples[:5]]
    return np.stack([problem.encode_input(synthetic.spec, one) for one in decoded])


@pytest.fixture(scope="module")
def eager_outputs(checkpoint, batch) -> np.ndarray:
    return load_predictor(checkpoint, RuntimeOptions("eager")).predict(batch)


def tolerance(spec, probabilities: float) -> float:
    """An absolute tolerance: for probabilities, or in the target's units."""
    return (
        probabilities
        if spec.classification
        else probabilities * float(spec.fitted["target_scale"])
    )


def test_the_eager_model_answers_in_the_contracts_terms(
    checkpoint, eager_outputs, synthetic
):
    spec = synthetic.spec
    if spec.classification:
        assert eager_outputs.shape == (5, len(spec.labels))
        np.testing.assert_allclose(eager_outputs.sum(axis=1), 1.0, rtol=1e-5)
    else:
        assert eager_outputs.shape == (5,)
    for row in eager_outputs:
        problem.answer(spec, row)  # raises if the row does not fit the contract


@pytest.mark.parametrize("variant", ["torchscript", "onnx"])
def test_float_variants_give_the_eager_outputs(
    variant, checkpoint, batch, eager_outputs, synthetic, tmp_path
):
    predictor = load_predictor(checkpoint, RuntimeOptions(variant, 1), tmp_path)
    assert predictor.variant == variant
    assert predictor.spec == synthetic.spec
    outputs = predictor.predict(batch)
    assert outputs.shape == eager_outputs.shape
    atol = tolerance(synthetic.spec, 1e-4)
    np.testing.assert_allclose(outputs, eager_outputs, atol=atol)


def test_int8_weights_change_the_outputs_only_a_little(
    checkpoint, batch, eager_outputs, synthetic, tmp_path
):
    predictor = load_predictor(checkpoint, RuntimeOptions("onnx-int8"), tmp_path)
    outputs = predictor.predict(batch)
    assert (tmp_path / "model-int8.onnx").stat().st_size < (
        tmp_path / "model.onnx"
    ).stat().st_size
    if synthetic.spec.classification:
        np.testing.assert_allclose(outputs.sum(axis=1), 1.0, rtol=1e-5)
    atol = tolerance(synthetic.spec, 0.05)
    np.testing.assert_allclose(outputs, eager_outputs, atol=atol)
    assert not np.array_equal(outputs, eager_outputs)


def test_exports_are_made_with_the_contracts_input_sample(checkpoint, synthetic):
    example = sample_input(synthetic.spec)
    assert example.dtype == np.float32
    assert (
        example.shape
        == problem.encode_input(
            synthetic.spec, problem.load_input(synthetic.examples[0])
        ).shape
    )


def test_exports_need_a_sample_that_fits_the_problem_or_a_given_input(
    checkpoint, batch, eager_outputs, synthetic, tmp_path, monkeypatch
):
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    (contracts / "input.sample.json").write_text("{}")
    monkeypatch.setattr(runtimes.paths, "contracts_dir", lambda: contracts)
    with pytest.raises(RuntimeOptionError, match=r"input.sample.json was refused: "):
        load_predictor(checkpoint, RuntimeOptions("onnx"), tmp_path)
    # The eager model needs no sample, and an input given replaces it.
    load_predictor(checkpoint, RuntimeOptions("eager"), tmp_path)
    predictor = load_predictor(
        checkpoint, RuntimeOptions("torchscript"), tmp_path, example=batch[0]
    )
    atol = tolerance(synthetic.spec, 1e-4)
    np.testing.assert_allclose(predictor.predict(batch), eager_outputs, atol=atol)


@pytest.mark.parametrize(
    ("error", "stale"),
    [
        (aiohttp.ServerDisconnectedError(), True),
        (aiohttp.ClientOSError(), True),
        (RuntimeError("Connection closed."), True),
        (RuntimeError("the model failed"), False),
        (ValueError("Connection closed."), False),
    ],
)
def test_only_closed_keep_alive_connections_are_retried(error, stale):
    assert stale_connection(error) is stale
