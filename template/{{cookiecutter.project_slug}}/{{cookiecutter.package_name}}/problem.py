"""The team's problem: the one interface every room uses.

Rooms import this module, never a kind's module (`image`, `text` or `tabular`),
so swapping the problem is an edit in the shared package alone. The kind this
project was generated with is {{ cookiecutter.task }}; its module implements
the functions below. The handbook page beside this module, README.md ("Bring
your own problem"), says where to change the labels, the model and the contract.

Data (the data room)
    project_spec() -> Spec
        The team's problem: ``contracts/problem.json`` (labels, or features and
        target), which `python -m data contract` writes from the data; the
        kind's worked example (``EXAMPLE_SPEC``) in a project without one.
    synthetic_source(count, seed, corrupt=0, spec=None) -> Source
        A dataset with a learnable signal for ``spec`` (by default
        `project_spec()`): ``count`` examples per class (classification) or
        rows (regression); ``corrupt`` unusable inputs are rejected, to show
        quarantine at work. Same seed, same bytes.
    read_source(path, target="target") -> Source
        An ingest source (an ImageFolder tree, a CSV/JSONL of texts, a CSV of
        features): usable examples, with their split when the source has one,
        rejected rows or files with the reason, and the spec they define.
    write_split(examples, folder, spec) -> list[Path]
        Store a split under ``folder``; the files written (for the manifest).
    read_split(folder, spec) -> list[Example]
        A stored split; `ProblemDataError` naming the folder if it is missing.
    load_input(example) -> decoded input
        The model-ready form of a stored example's input (an RGB image, a text,
        a dict of feature values); `ProblemDataError` naming it if unreadable.

Training (the training room)
    ARCHITECTURES, DEFAULT_ARCH
        Model names `build_model` knows; the default trains on a CPU in seconds.
    ARCH_PACKAGES
        arch -> the packages it needs beyond PyTorch (e.g. torchvision), which
        the Bento of a model with that arch installs too.
    SETTINGS
        The problem's own training settings (name -> least whole-number value),
        which training/config.py checks and passes to `fit`; e.g. image_size.
    fit(spec, examples, settings) -> Spec
        Learn the preprocessing from the training split (feature scales, the
        target's scale, the image size from ``settings``) into ``spec.fitted``.
    encode_input(spec, decoded) -> np.ndarray
        One decoded input as the model's float32 input, identically in training
        and serving.
    encode_target(spec, target) -> int | float
        A label's index, or the target scaled as the model learns it.
    build_model(spec, arch, *, pretrained=False, dropout=0.2) -> torch.nn.Module
        A fresh model whose output is class logits or one scaled value.

Serving (the serving room)
    MAX_REQUEST_BYTES
        The largest request body the service reads.
    input_schema(spec) -> dict, output_schema(spec) -> dict
        The contract as JSON Schema (contracts/*.schema.json are these).
    decode_request(spec, payload) -> decoded input
        A parsed JSON request -> decoded input, or `ContractError` saying what
        is wrong (4xx).
    production_example(spec, payload, target, name) -> Example
        A served request (its JSON payload, as the service captured it) with
        its true answer, as an example of the training split named ``name``:
        labelled production inputs join the next training set this way.
    labelling_data(spec, payload) -> dict, labelling_config(spec) -> str
        A served request as a labeller sees it in Label Studio (the task's
        data), and the labelling interface that shows it and asks for the
        answer (the control named LABELLING_ANSWER: a label, or a number).
    request_payload(spec, value) -> dict
        The request that sends a stored example's input (``Example.input``) or
        a decoded input (load generator, smoke check, benchmarks).
    answer(spec, output) -> dict
        One row of `model.predict` output -> the contract's answer.

Monitoring (the monitoring room)
    drift_feature_names(spec) -> tuple[str, ...]
    drift_features(spec, decoded) -> dict[str, float]
        Cheap statistics of one input, compared between training and production.

Evaluation (training and monitoring): `quality`, `baseline` and `passes` in
`{{ cookiecutter.package_name }}.quality`.
"""

from .contract import answer, output_schema
from .labelling import ANSWER as LABELLING_ANSWER
from .spec import (
    SPEC_FILE,
    SPLITS,
    ContractError,
    Example,
    Feature,
    ProblemDataError,
    Rejected,
    Source,
    Spec,
    committed_spec,
    read_spec,
    write_spec,
)

# isort: split
# The task kind's module: the one this project was generated for.
from .{{ cookiecutter.task_module }} import (
    ARCH_PACKAGES,
    ARCHITECTURES,
    DEFAULT_ARCH,
    DEFAULT_SYNTHETIC_COUNT,
    EXAMPLE_SPEC,
    MAX_REQUEST_BYTES,
    SETTINGS,
    TASK,
    build_model,
    decode_request,
    drift_feature_names,
    drift_features,
    encode_input,
    encode_target,
    fit,
    input_schema,
    labelling_config,
    labelling_data,
    load_input,
    production_example,
    read_source,
    read_split,
    request_payload,
    synthetic_source,
    write_split,
)


def project_spec() -> Spec:
    """The team's problem, as committed (see the module's docstring)."""
    return committed_spec(EXAMPLE_SPEC)


__all__ = [
    "ARCHITECTURES",
    "ARCH_PACKAGES",
    "DEFAULT_ARCH",
    "DEFAULT_SYNTHETIC_COUNT",
    "EXAMPLE_SPEC",
    "LABELLING_ANSWER",
    "MAX_REQUEST_BYTES",
    "SETTINGS",
    "SPEC_FILE",
    "SPLITS",
    "TASK",
    "ContractError",
    "Example",
    "Feature",
    "ProblemDataError",
    "Rejected",
    "Source",
    "Spec",
    "answer",
    "build_model",
    "decode_request",
    "drift_feature_names",
    "drift_features",
    "encode_input",
    "encode_target",
    "fit",
    "input_schema",
    "labelling_config",
    "labelling_data",
    "load_input",
    "output_schema",
    "production_example",
    "project_spec",
    "read_source",
    "read_spec",
    "read_split",
    "request_payload",
    "synthetic_source",
    "write_spec",
    "write_split",
]
