"""`copier update` across real releases of this template.

A copy of this repository becomes a template repository with three tagged releases:
v1 (this template as it is), v2 (an ordinary fix: a README line and .gitignore
change) and v3 (a rename release: a file and an answer get new names, carried by
dict-form `_migrations` that call migrations/rename.py). Projects are generated
from v1, committed and edited by a "team", then updated.

A second template repository has this repository's last release before the task
kinds (CURRENT_RELEASE, from its git history) as v1 and the working tree as v2:
projects generated from the release teams have now must take this one.
"""

import os
import subprocess
import sys
from pathlib import Path

import copier
import pytest
import yaml
from conftest import ROOT, answers_of
from copier.errors import UnsafeTemplateError
from template_releases import (
    git,
    new_template_repo,
    project_file,
    release,
    replace_with_this_template,
    this_template_at,
)

OLD_ALERTS = "monitoring/prometheus/alerts.yml"
NEW_ALERTS = "monitoring/prometheus/alert_rules.yml"
ALERTS_USERS = (
    "monitoring/prometheus/prometheus.yml",
    "monitoring/prometheus/alerts.test.yml",
    "monitoring/tests/test_monitoring_configs.py",
)
README_V1_LINE = "This repository was generated from mlsys-team-template. When the instructor publishes a"
README_V2_LINE = "This repository was generated from mlsys-team-template (release v2). When the instructor publishes a"
GITIGNORE_V2 = "# Editor settings (added in v2)\n.idea/\n"
V3_MARKER = "# Renamed from alerts.yml in v3.\n"
ALERTS_FIRST_LINE = "# Alert rules for the "
V3_MIGRATIONS = """
_migrations:
  - version: v3
    when: "{{ _stage == 'before' }}"
    command: ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/migrations/rename.py",
              "answer", "wandb_project", "tracking_project"]
  - version: v3
    when: "{{ _stage == 'after' }}"
    command: ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/migrations/rename.py",
              "path", "OLD", "NEW", "{{ _version_from }}", "{{ _copier_conf.src_path }}"]
""".replace('"OLD", "NEW"', f'"{OLD_ALERTS}", "{NEW_ALERTS}"')


def fix_release(repo: Path) -> None:
    readme = project_file(repo, "README.md")
    assert README_V1_LINE in readme.read_text()
    readme.write_text(readme.read_text().replace(README_V1_LINE, README_V2_LINE))
    gitignore = project_file(repo, ".gitignore")
    gitignore.write_text(gitignore.read_text() + GITIGNORE_V2)


def rename_release(repo: Path) -> None:
    """Rename the alert rules file and the wandb_project question, with migrations."""
    old = project_file(repo, OLD_ALERTS)
    # Before the file's first comment line, not before its first character: the
    # source may open with a `{%- ... -%}` statement that eats the line break before it.
    source = old.read_text()
    assert source.count(ALERTS_FIRST_LINE) == 1, ALERTS_FIRST_LINE
    project_file(repo, NEW_ALERTS).write_text(
        source.replace(ALERTS_FIRST_LINE, V3_MARKER + ALERTS_FIRST_LINE)
    )
    old.unlink()
    for relative in ALERTS_USERS:
        user = project_file(repo, relative)
        user.write_text(user.read_text().replace("alerts.yml", "alert_rules.yml"))
    questions = repo / "copier.yml"
    text = questions.read_text()
    # The question, its validator's argument and the value the files read.
    for old, new in (
        ("\nwandb_project:\n", "\ntracking_project:\n"),
        ("check.wandb_project(wandb_project)", "check.wandb_project(tracking_project)"),
        ('"wandb_project": wandb_project', '"wandb_project": tracking_project'),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    questions.write_text(text + V3_MIGRATIONS)


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory) -> Path:
    repo = new_template_repo(
        tmp_path_factory.mktemp("releases") / "mlsys-team-template"
    )
    release(repo, "v1")
    release(repo, "v2", fix_release)
    release(repo, "v3", rename_release)
    return repo


def generate(template_repo: Path, destination: Path, version: str, **answers) -> Path:
    copier.run_copy(
        str(template_repo),
        str(destination),
        data=answers,
        defaults=True,
        vcs_ref=version,
        quiet=True,
    )
    git(destination, "init", "-q")
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "-m", "Start from mlsys-team-template")
    return destination


def update(project: Path, version: str, trust: bool = False) -> None:
    copier.run_update(
        str(project),
        vcs_ref=version,
        defaults=True,
        overwrite=True,
        quiet=True,
        conflict="inline",
        unsafe=trust,
    )


def commit_team_edits(project: Path, edits: dict[str, str]) -> None:
    for relative, text in edits.items():
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text(text)
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "Team work")


def tree(project: Path) -> dict[str, bytes]:
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(project).parts
    }


def answers(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def test_update_keeps_team_edits_and_brings_the_release(template_repo, tmp_path):
    project = generate(template_repo, tmp_path / "team", "v1")
    config = (project / "training" / "config.yaml").read_text()
    assert "epochs: 6\n" in config
    readme = (project / "README.md").read_text()
    commit_team_edits(
        project,
        {
            "training/config.yaml": config.replace("epochs: 6\n", "epochs: 40\n"),
            "README.md": readme.replace(
                "## Team\n", "## Team\n\nWe meet on Tuesdays.\n", 1
            ),
            "training/notes.md": "# What we tried\n",
        },
    )

    update(project, "v2")

    assert "epochs: 40\n" in (project / "training" / "config.yaml").read_text()
    assert (project / "training" / "notes.md").read_text() == "# What we tried\n"
    readme = (project / "README.md").read_text()
    assert "We meet on Tuesdays." in readme and README_V2_LINE in readme
    assert (project / ".gitignore").read_text().endswith(GITIGNORE_V2)
    assert answers(project)["_commit"] == "v2"
    assert "<<<<<<<" not in readme


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_update_without_edits_equals_a_fresh_copy(template_repo, tmp_path, version):
    project = generate(
        template_repo, tmp_path / "updated", "v1", members=["amy", "bob", "cat"]
    )
    update(project, version, trust=version == "v3")
    fresh = tmp_path / "fresh"
    # A fresh copy of a release with migrations needs no --trust: they only run on update.
    copier.run_copy(
        str(template_repo),
        str(fresh),
        data={"members": ["amy", "bob", "cat"]},
        defaults=True,
        vcs_ref=version,
        quiet=True,
        unsafe=False,
    )
    updated, expected = tree(project), tree(fresh)
    assert sorted(updated) == sorted(expected)
    assert [path for path in updated if updated[path] != expected[path]] == []


def test_conflicting_edit_is_marked_inline(template_repo, tmp_path):
    project = generate(template_repo, tmp_path / "team", "v1")
    readme = (project / "README.md").read_text()
    commit_team_edits(
        project,
        {
            "README.md": readme.replace(
                README_V1_LINE,
                README_V1_LINE.replace(
                    "mlsys-team-template", "our fork of the template"
                ),
            )
        },
    )

    update(project, "v2")

    readme = (project / "README.md").read_text()
    assert "<<<<<<< before updating" in readme and ">>>>>>> after updating" in readme
    assert "our fork of the template" in readme and README_V2_LINE in readme
    assert not list(project.rglob("*.rej")), "inline conflicts leave no .rej files"
    assert "UU README.md" in git(project, "status", "--porcelain")


def pre_commit(
    project: Path, home: Path, hook: str, *files: str
) -> subprocess.CompletedProcess:
    git(project, "add", "-A", "--force", *files)
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("pre-commit")),
            "run",
            hook,
            "--files",
            *files,
        ],
        cwd=project,
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "PRE_COMMIT_HOME": str(home)},
    )


def test_pre_commit_refuses_conflict_markers_and_rejected_patches(
    template_repo, tmp_path
):
    """The generated project's own hooks, run for real by pre-commit."""
    project = generate(template_repo, tmp_path / "team", "v1")
    home = tmp_path / "pre-commit-home"
    clean = pre_commit(project, home, "check-merge-conflict", "README.md")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    readme = (project / "README.md").read_text()
    commit_team_edits(
        project, {"README.md": readme.replace(README_V1_LINE, "Our own words.")}
    )
    update(project, "v2")
    marked = pre_commit(project, home, "check-merge-conflict", "README.md")
    assert marked.returncode == 1
    assert (
        "README.md" in marked.stdout
        and "Merge conflict string '<<<<<<<' found" in marked.stdout
    )

    (project / "README.md.rej").write_text("@@ -1 +1 @@\n-old\n+new\n")
    rejected = pre_commit(project, home, "no-rejected-patches", "README.md.rej")
    assert rejected.returncode == 1
    assert ".rej files are left over from a conflicting update" in rejected.stdout


def test_rename_release_carries_edits_and_answers(template_repo, tmp_path):
    project = generate(
        template_repo, tmp_path / "team", "v1", wandb_project="team-runs"
    )
    alerts = (project / OLD_ALERTS).read_text()
    commit_team_edits(project, {OLD_ALERTS: alerts + "# Our on-call notes.\n"})

    with pytest.raises(UnsafeTemplateError, match="migrations"):
        update(project, "v3")  # migrations run code: copier asks for --trust first
    update(project, "v3", trust=True)

    assert not (project / OLD_ALERTS).exists()
    renamed = (project / NEW_ALERTS).read_text()
    assert renamed.startswith(V3_MARKER), "the release's change arrived"
    assert renamed.endswith("# Our on-call notes.\n"), (
        "the team's edit moved with the file"
    )
    assert "<<<<<<<" not in renamed
    assert (
        "alert_rules.yml"
        in (project / "monitoring" / "prometheus" / "prometheus.yml").read_text()
    )
    recorded = answers(project)
    assert (
        recorded["tracking_project"] == "team-runs" and "wandb_project" not in recorded
    )
    assert "team-runs" in (project / "README.md").read_text()


def test_rename_migration_is_safe_to_run_again(template_repo, tmp_path):
    project = generate(template_repo, tmp_path / "team", "v1")
    alerts = (project / OLD_ALERTS).read_text()
    commit_team_edits(project, {OLD_ALERTS: alerts + "# Our on-call notes.\n"})
    update(project, "v3", trust=True)
    before = tree(project)
    script = str(template_repo / "migrations" / "rename.py")
    for arguments in (
        ["answer", "wandb_project", "tracking_project"],
        ["path", OLD_ALERTS, NEW_ALERTS, "v1", str(template_repo)],
    ):
        again = subprocess.run(
            [sys.executable, script, *arguments],
            cwd=project,
            capture_output=True,
            text=True,
            check=True,
        )
        assert "nothing to do" in again.stdout, again.stdout
    assert tree(project) == before


def workflow_step(project: Path, step_id: str) -> str:
    workflow = yaml.safe_load(
        (project / ".github" / "workflows" / "template-update.yml").read_text()
    )
    return next(
        step["run"]
        for step in workflow["jobs"]["update"]["steps"]
        if step.get("id") == step_id
    )


def run_update_step(project: Path, tmp_path: Path) -> dict[str, str]:
    """The workflow's update step, run by bash as on GitHub (with this copier)."""
    outputs = tmp_path / "github-output"
    outputs.write_text("")
    subprocess.run(
        ["bash", "-e", "-c", workflow_step(project, "update")],
        cwd=project,
        check=True,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "GITHUB_OUTPUT": str(outputs),
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        },
    )
    return dict(
        line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line
    )


def test_update_workflow_commits_the_newest_release_on_a_branch(
    template_repo, tmp_path
):
    """The scheduled workflow's update step for real; opening the pull request (gh,
    GitHub's API) is not exercised here."""
    project = generate(template_repo, tmp_path / "team", "v1")
    readme = (project / "README.md").read_text()
    commit_team_edits(
        project, {"README.md": readme.replace(README_V1_LINE, "Our own words.")}
    )

    outputs = run_update_step(project, tmp_path)

    assert outputs["release"] == "v3" and outputs["branch"] == "template-update/v3"
    assert outputs["conflicts"].split() == ["./README.md"]
    assert (
        git(project, "rev-parse", "--abbrev-ref", "HEAD").strip()
        == "template-update/v3"
    )
    assert git(project, "status", "--porcelain") == "", (
        "everything is committed on the branch"
    )
    assert "Update from mlsys-team-template v1 -> v3" in git(
        project, "log", "-1", "--format=%s"
    )

    git(project, "switch", "-q", "-c", "after-merge")
    assert run_update_step(project, tmp_path) == {"release": ""}, (
        "nothing newer: no branch, no pull request"
    )


def test_update_workflow_pins_the_copier_the_template_is_tested_with():
    workflow = (
        ROOT / "template" / "{{cookiecutter.project_slug}}" / ".github" / "workflows"
    ) / "template-update.yml"
    tested = next(
        line
        for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
        if line.startswith("copier==")
    )
    assert f"pip install {tested}\n" in workflow.read_text()


# ---- From the release teams have now to the task kinds (issue 16) ----

# The last commit before the problem became a question (`task`): the release every
# existing team project was generated from.
CURRENT_RELEASE = "89a8a8bb2d98a8046c0411dfc3ef296ef9ade12b"
PACKAGE = "gourmetgram"
# Shared modules the task kinds brought, and the image-only ones they replaced.
NEW_SHARED = ("problem.py", "spec.py", "quality.py", "image.py")
REMOVED_SHARED = ("labels.py", "preprocessing.py", "features.py", "photos.py")
# A room file this update leaves alone, and one it changes on lines near the
# team's edits (the quality gate became `quality_bar`).
UNTOUCHED = "cicd/runner/settings.py"
TOUCHED = "training/config.yaml"


@pytest.fixture(scope="module")
def kinds_repo(tmp_path_factory) -> Path:
    repo = this_template_at(
        CURRENT_RELEASE,
        tmp_path_factory.mktemp("kinds") / "mlsys-team-template",
    )
    git(repo, "init", "-q")
    release(repo, "v1")
    release(repo, "v2", replace_with_this_template)
    return repo


def test_update_to_the_task_kinds_keeps_team_edits(kinds_repo, tmp_path):
    unchanged = git(
        kinds_repo,
        "diff",
        "--stat",
        "v1",
        "v2",
        "--",
        project_file(kinds_repo, UNTOUCHED),
    )
    assert unchanged == "", f"this release changes {UNTOUCHED}: pick another file"
    project = generate(kinds_repo, tmp_path / "team", "v1")
    assert "task" not in answers(project)
    settings = (project / UNTOUCHED).read_text()
    config = (project / TOUCHED).read_text()
    assert "epochs: 6\n" in config and "min_accuracy: 0.6\n" in config
    commit_team_edits(
        project,
        {
            UNTOUCHED: settings + "# Our node notes.\n",
            TOUCHED: config.replace("epochs: 6\n", "epochs: 40\n").replace(
                "min_accuracy: 0.6\n", "min_accuracy: 0.75\n"
            ),
            "training/notes.md": "# What we tried\n",
        },
    )

    update(project, "v2")

    recorded = answers(project)
    assert (recorded["task"], recorded["_commit"]) == ("image-classification", "v2")
    assert (project / UNTOUCHED).read_text() == settings + "# Our node notes.\n"
    assert (project / "training" / "notes.md").read_text() == "# What we tried\n"
    config = (project / TOUCHED).read_text()
    assert "epochs: 40\n" in config, "an edit away from the release's changes merges"
    # Both changed the quality gate: both versions stay, marked for the team.
    assert "<<<<<<< before updating" in config and ">>>>>>> after updating" in config
    assert "min_accuracy: 0.75\n" in config and "quality_bar: 0.6\n" in config
    package = project / PACKAGE
    assert [name for name in NEW_SHARED if not (package / name).is_file()] == []
    assert [name for name in REMOVED_SHARED if (package / name).exists()] == []


def test_untouched_project_updates_to_a_fresh_copy_of_the_task_kinds(
    kinds_repo, tmp_path
):
    project = generate(kinds_repo, tmp_path / "updated", "v1")
    update(project, "v2")
    fresh = tmp_path / "fresh"
    # The same answers: an update keeps the team's, where a default has changed since.
    kept = {k: v for k, v in answers_of(project).items() if not k.startswith("_")}
    copier.run_copy(
        str(kinds_repo),
        str(fresh),
        data=kept,
        defaults=True,
        vcs_ref="v2",
        quiet=True,
        unsafe=False,
    )
    updated, expected = tree(project), tree(fresh)
    assert sorted(updated.keys() - expected.keys()) == [], "left over from v1"
    assert sorted(expected.keys() - updated.keys()) == [], "missing after the update"
    assert [path for path in updated if updated[path] != expected[path]] == []
