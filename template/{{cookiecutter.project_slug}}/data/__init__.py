"""The data room: makes the dataset every other room trains, evaluates and monitors.

`python -m data prepare` generates the problem's synthetic dataset;
`python -m data ingest PATH` brings in the team's own data. Both keep
unusable input in quarantine, split the examples, write them with the
problem's own format and a manifest of content hashes next to the dataset.
`python -m data contract` derives contracts/ from the dataset.
"""
