"""The exact file set of a generated project, written out by hand.

Deliberately not derived from template/: a file that goes missing from the
template, appears by accident or renders under the wrong name must fail a test,
and adding a file must be a conscious change here too. Every kind of problem
(`task`) gets the common files and its own (KIND_FILES): its module in the shared
package and that module's tests; its contract files bear the common names. Each
tracker adds its own tests (TRACKER_FILES).
"""

# folder -> the files directly inside it; "{package}" is the shared package.
FILES_BY_FOLDER: dict[str, tuple[str, ...]] = {
    "": (
        ".copier-answers.yml",
        ".gitignore",
        ".pre-commit-config.yaml",
        "README.md",
        "milestones.yml",
        "noxfile.py",
        "pyproject.toml",
    ),
    ".github": ("CODEOWNERS", "dependabot.yml", "pull_request_template.md"),
    ".github/workflows": (
        "ci.yml",
        "demo.yml",
        "deploy.yml",
        "gpu-training.yml",
        "rooms.yml",
        "template-update.yml",
    ),
    "{package}": (
        "README.md",
        "__init__.py",
        "contract.py",
        "hardware.py",
        "hashing.py",
        "local_servers.py",
        "model.py",
        "object_store.py",
        "paths.py",
        "problem.py",
        "quality.py",
        "scrape.py",
        "spec.py",
        "telemetry.py",
    ),
    "contracts": (
        "input.sample.json",
        "input.schema.json",
        "output.sample.json",
        "output.schema.json",
        "problem.json",
    ),
    "tests": (
        "requirements.txt",
        "test_shared_contract.py",
        "test_shared_hardware.py",
        "test_shared_model.py",
        "test_shared_quality.py",
        "test_shared_telemetry.py",
    ),
    "data": (
        "README.md",
        "__init__.py",
        "__main__.py",
        "cli.py",
        "contracts.py",
        "dataset.py",
        "ingest.py",
        "layout.py",
        "manifest.py",
        "prepare.py",
        "requirements.txt",
        "splits.py",
        "traffic.py",
        "validate.py",
        "versions.py",
    ),
    "training/bench": (
        "__init__.py",
        "__main__.py",
        "loops.py",
        "report.py",
        "run.py",
        "time_to_quality.py",
    ),
    "data/tests": (
        "conftest.py",
        "test_data_contract.py",
        "test_data_ingest.py",
        "test_data_manifest.py",
        "test_data_prepare.py",
        "test_data_splits.py",
        "test_data_store.py",
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
        "environment.py",
        "epochs.py",
        "evaluate.py",
        "model_registry.py",
        "registry.py",
        "reports.py",
        "requirements-gpu.txt",
        "requirements.txt",
        "results.py",
        "run_state.py",
        "tracking.py",
        "train.py",
    ),
    "training/tests": (
        "conftest.py",
        "test_training_acceleration.py",
        "test_training_bench.py",
        "test_training_config.py",
        "test_training_distributed.py",
        "test_training_evaluate.py",
        "test_training_run.py",
    ),
    "serving": (
        "README.md",
        "__init__.py",
        "answers.py",
        "api_schema.py",
        "batched_service.py",
        "bentofile.yaml",
        "guard.py",
        "log_shipping.py",
        "metrics.py",
        "model_calls.py",
        "model_store.py",
        "package.py",
        "prediction_log.py",
        "request_records.py",
        "requirements-test.txt",
        "requirements.txt",
        "runtimes.py",
        "service.py",
    ),
    "serving/bench": (
        "__init__.py",
        "__main__.py",
        "in_process.py",
        "plot.py",
        "report.py",
        "served.py",
        "table.py",
        "verdicts.py",
    ),
    "serving/check": (
        "__init__.py",
        "__main__.py",
        "bad_requests.py",
        "scrape.py",
        "server.py",
        "smoke.py",
    ),
    "serving/tests": (
        "conftest.py",
        "test_serving_http.py",
        "test_serving_log_shipping.py",
        "test_serving_bench.py",
        "test_serving_guard.py",
        "test_serving_package.py",
        "test_serving_request_records.py",
        "test_serving_runtimes.py",
        "test_serving_server.py",
        "test_serving_smoke.py",
    ),
    "monitoring": (
        "README.md",
        "__init__.py",
        "canary_gate.py",
        "checks.py",
        "drift.py",
        "gate_checks.py",
        "metrics.py",
        "records.py",
        "requirements-test.txt",
        "requirements.txt",
        "scrape_window.py",
        "stats.py",
        "stored_log.py",
    ),
    "monitoring/grafana": ("dashboard.json",),
    "monitoring/grafana/provisioning/dashboards": ("dashboards.yml",),
    "monitoring/grafana/provisioning/datasources": ("prometheus.yml",),
    "monitoring/prometheus": ("alerts.test.yml", "alerts.yml", "prometheus.yml"),
    "monitoring/tests": (
        "test_monitoring_canary_gate.py",
        "test_monitoring_configs.py",
        "test_monitoring_drift.py",
        "test_monitoring_metrics.py",
        "test_monitoring_promtool.py",
        "test_monitoring_stats.py",
    ),
    "monitoring/tests/data": (
        "bentoml-metrics-values.prom",
        "bentoml-metrics.prom",
    ),
    "cicd": (
        "README.md",
        "__init__.py",
        "github_api.py",
        "pr_rooms.py",
        "promtool.py",
        "requirements.txt",
        "room_envs.py",
        "settings_check.py",
        "summary.py",
    ),
    "cicd/course": (
        "__init__.py",
        "checks.py",
        "contributions.py",
        "demo.py",
        "figures.py",
        "milestones.py",
        "release.py",
        "report.py",
    ),
    "cicd/tests": (
        "fake_github.py",
        "test_cicd_contributions.py",
        "test_cicd_demo.py",
        "test_cicd_github_setup.py",
        "test_cicd_infra.py",
        "test_cicd_pr_rooms.py",
        "test_cicd_release.py",
        "test_cicd_repository.py",
        "test_cicd_room_envs.py",
        "test_cicd_runner_chameleon.py",
        "test_cicd_runner_gc.py",
        "test_cicd_runner_github.py",
        "test_cicd_runner_plan.py",
        "test_cicd_settings_check.py",
        "test_cicd_summary.py",
        "test_cicd_workflows.py",
        "workflow_runs.py",
    ),
    "cicd/deploy": ("compose.yml", "rollout.sh"),
    "cicd/docs": ("deploy.md", "github.md", "infra.md", "runners.md"),
    "cicd/github_setup": (
        "__init__.py",
        "__main__.py",
        "changes.py",
        "cli.py",
        "current.py",
        "desired.py",
    ),
    "cicd/infra": (
        "__init__.py",
        "__main__.py",
        "buckets.py",
        "cli.py",
        "cloud.py",
        "desired.py",
        "inventory.py",
        "plan.py",
        "resources.yml",
        "userdata.py",
    ),
    "cicd/infra/cloud_init": ("base.yaml",),
    "cicd/infra/ansible": ("requirements.txt", "site.yml"),
    "cicd/infra/node": (
        "mlflow-requirements.txt",
        "mlflow_db.py",
        "register-runner.sh",
        "start-mlflow.sh",
    ),
    "cicd/runner": (
        "__init__.py",
        "__main__.py",
        "chameleon.py",
        "cli.py",
        "credentials.py",
        "github.py",
        "plan.py",
        "requirements.txt",
        "settings.py",
        "stale.py",
        "userdata.py",
    ),
    "cicd/runner/node": (
        "gpu-runner-idle.service",
        "gpu-runner-idle.timer",
        "gpu-runner.service",
        "idle-watchdog.sh",
        "install-runner.sh",
        "release-node.sh",
        "start-runner.sh",
    ),
}


# task -> folder -> the files only that kind's projects hold.
KIND_FILES: dict[str, dict[str, tuple[str, ...]]] = {
    "image-classification": {
        "{package}": ("image.py", "image_synthetic.py"),
        "tests": ("test_shared_image.py",),
    },
    "text-classification": {
        "{package}": ("text.py", "text_files.py", "text_synthetic.py"),
        "tests": ("test_shared_text.py",),
    },
    "tabular-regression": {
        "{package}": (
            "tabular.py",
            "tabular_contract.py",
            "tabular_csv.py",
            "tabular_synthetic.py",
        ),
        "tests": ("test_shared_tabular.py",),
    },
}


def _paths(files: dict[str, tuple[str, ...]], package_name: str) -> set[str]:
    return {
        f"{folder}/{name}".lstrip("/").replace("{package}", package_name)
        for folder, names in files.items()
        for name in names
    }


# tracker -> its own files (training/tracking.py and model_registry.py are each
# tracker's own too, under the same names).
TRACKER_FILES: dict[str, dict[str, tuple[str, ...]]] = {
    "wandb": {"training/tests": ("test_training_wandb.py",)},
    "mlflow": {"training/tests": ("test_training_mlflow.py",)},
}


def expected_files(package_name: str, task: str, tracker: str = "wandb") -> set[str]:
    """Every path (relative, POSIX) a freshly generated project of ``task`` holds."""
    return (
        _paths(FILES_BY_FOLDER, package_name)
        | _paths(KIND_FILES[task], package_name)
        | _paths(TRACKER_FILES[tracker], package_name)
    )
