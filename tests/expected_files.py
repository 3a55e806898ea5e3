"""The exact file set of a generated project, written out by hand.

Deliberately not derived from template/: a file that goes missing from the
template, appears by accident or renders under the wrong name must fail a test,
and adding a file must be a conscious change here too.
"""

# folder -> the files directly inside it; "{package}" is the shared package.
FILES_BY_FOLDER: dict[str, tuple[str, ...]] = {
    "": (
        ".copier-answers.yml",
        ".gitignore",
        ".pre-commit-config.yaml",
        "README.md",
        "noxfile.py",
        "pyproject.toml",
    ),
    ".github": ("CODEOWNERS",),
    ".github/workflows": ("ci.yml",),
    "{package}": (
        "__init__.py",
        "contract.py",
        "features.py",
        "labels.py",
        "model.py",
        "paths.py",
        "preprocessing.py",
        "telemetry.py",
    ),
    "contracts": (
        "input.sample.json",
        "input.schema.json",
        "output.sample.json",
        "output.schema.json",
    ),
    "tests": ("requirements.txt", "test_shared_contract.py", "test_shared_model.py"),
    "data": (
        "README.md",
        "__init__.py",
        "__main__.py",
        "cli.py",
        "dataset.py",
        "ingest.py",
        "layout.py",
        "manifest.py",
        "prepare.py",
        "requirements.txt",
        "splits.py",
        "synthetic.py",
        "traffic.py",
        "validate.py",
    ),
    "data/tests": (
        "conftest.py",
        "test_data_ingest.py",
        "test_data_manifest.py",
        "test_data_prepare.py",
        "test_data_splits.py",
        "test_data_synthetic.py",
        "test_data_traffic.py",
    ),
    "training": (
        "README.md",
        "__init__.py",
        "acceleration.py",
        "checkpoints.py",
        "config.py",
        "config.yaml",
        "datasets.py",
        "distributed.py",
        "engine.py",
        "evaluate.py",
        "reports.py",
        "requirements.txt",
        "tracking.py",
        "train.py",
    ),
    "training/tests": (
        "conftest.py",
        "test_training_acceleration.py",
        "test_training_config.py",
        "test_training_distributed.py",
        "test_training_evaluate.py",
        "test_training_run.py",
        "test_training_wandb.py",
    ),
    "serving": (
        "README.md",
        "__init__.py",
        "answers.py",
        "bad_requests.py",
        "batched_service.py",
        "bench.py",
        "bench_model.py",
        "bentofile.yaml",
        "guard.py",
        "metrics.py",
        "model_store.py",
        "package.py",
        "plot.py",
        "prediction_log.py",
        "requirements.txt",
        "runtimes.py",
        "scrape.py",
        "server.py",
        "service.py",
        "smoke.py",
    ),
    "serving/tests": (
        "conftest.py",
        "test_serving_http.py",
        "test_serving_bench.py",
        "test_serving_package.py",
        "test_serving_runtimes.py",
        "test_serving_smoke.py",
    ),
    "monitoring": (
        "README.md",
        "__init__.py",
        "checks.py",
        "drift.py",
        "metrics.py",
        "records.py",
        "requirements.txt",
        "stats.py",
    ),
    "monitoring/grafana": ("dashboard.json",),
    "monitoring/grafana/provisioning/dashboards": ("dashboards.yml",),
    "monitoring/grafana/provisioning/datasources": ("prometheus.yml",),
    "monitoring/prometheus": ("alerts.test.yml", "alerts.yml", "prometheus.yml"),
    "monitoring/tests": (
        "test_monitoring_configs.py",
        "test_monitoring_drift.py",
        "test_monitoring_metrics.py",
        "test_monitoring_stats.py",
    ),
    "monitoring/tests/data": ("bentoml-metrics.prom",),
    "cicd": ("README.md", "__init__.py", "requirements.txt", "room_envs.py", "summary.py"),
    "cicd/tests": ("test_cicd_repository.py", "test_cicd_room_envs.py"),
}


def expected_files(package_name: str) -> set[str]:
    """Every path (relative, POSIX) a freshly generated project holds."""
    return {
        f"{folder}/{name}".lstrip("/").replace("{package}", package_name)
        for folder, names in FILES_BY_FOLDER.items()
        for name in names
    }
