"""The training room: trains, tracks and evaluates the shared model.

`python -m training.train [key=value ...]` trains from `training/config.yaml`;
`python -m training.evaluate` judges the latest model on the evaluation split and
writes the monitoring reference.
"""
