"""Tools: the training benchmark (`nox -s bench-train`, `python -m training.bench`).

`run` measures the training loop's own overhead against a bare PyTorch loop and
the data loader against the step (`loops`), then each configuration's time to
quality, with its energy on a GPU (`time_to_quality`), and writes
reports/training-bench.md (`report`). Nothing in training imports it.
"""
