"""Tools: the serving benchmark (`nox -s bench-serve`, `python -m serving.bench`).

`table` runs it: every model variant measured in process (`in_process`: the
limit), then served by a real `bentoml serve` under load (`served`), judged
against the course's targets (`verdicts`) and written as the serving-options
table with its chart (`report`, `plot`). Nothing here goes into the Bento.
"""
