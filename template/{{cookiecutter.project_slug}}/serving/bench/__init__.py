"""Tools: the serving benchmark (`nox -s bench-serve`, `python -m serving.bench`).

`table` measures every model variant in process (`in_process`: the limit) and
served by a real `bentoml serve` under load, and writes the serving-options
table with its chart (`plot`). Nothing here goes into the Bento.
"""
