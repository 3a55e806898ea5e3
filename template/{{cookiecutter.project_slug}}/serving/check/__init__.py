"""Tools: a real `bentoml serve` process checked end to end (`nox -s serve-check`).

`server` starts and stops the process on loopback (the tests use it too),
`smoke` runs the check (`python -m serving.check`), `bad_requests` lists one
bad request of each kind with the answer it must get, and `scrape` reads the
prediction metrics back from /metrics. Nothing here goes into the Bento.
"""
