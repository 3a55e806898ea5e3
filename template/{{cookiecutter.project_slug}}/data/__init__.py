"""The data room: makes the dataset every other room trains, evaluates and monitors.

`python -m data prepare` generates a synthetic GourmetGram dataset;
`python -m data ingest SRC` brings in the real Food-11 images. Both validate
every image, quarantine the unreadable ones and write a manifest of content
hashes next to the dataset.
"""
