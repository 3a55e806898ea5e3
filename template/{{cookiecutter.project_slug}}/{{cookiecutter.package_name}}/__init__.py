"""Code every room of {{ cookiecutter.project_name }} shares.

The problem ({{ cookiecutter.task }}) lives here once, behind `problem`: the
contract, decoding and preprocessing, the model factory, labels or target, the
synthetic data, quality metrics and drift features. Rooms import `problem`,
`spec`, `contract`, `model`, `quality` and the helpers (`paths`, `telemetry`,
`hardware`, `hashing`), never a kind's module, so data, training, serving and
monitoring cannot drift apart. Only `model` needs PyTorch.
"""
