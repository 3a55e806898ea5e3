"""The docs site builds with --strict, and its reference pages come from the sources."""

import html
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from template_releases import copy_of_this_template


def build(root: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(root / "mkdocs.yml"),
            "--site-dir",
            str(site),
        ],
        cwd=root,
        check=False,
        capture_output=True,
        text=True,
    )


def page(site: Path, name: str) -> str:
    return html.unescape((site / name / "index.html").read_text())


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("site")
    result = build(ROOT, site)
    assert result.returncode == 0, result.stderr
    return site


def test_every_page_is_built(site):
    for name in (
        "students",
        "instructor-guide",
        "roles",
        "reference/questionnaire",
        "reference/course-defaults",
        "template-conventions",
        "adding-a-role",
    ):
        assert (site / name / "index.html").is_file(), name
    assert "copier copy gh:" in (site / "index.html").read_text()
    assert "cookiecutter gh:" in (site / "index.html").read_text()


def test_questionnaire_reference_lists_every_question_with_its_help(site):
    reference = page(site, "reference/questionnaire")
    questions = yaml.safe_load(
        (ROOT / "copier.yml").read_text().replace("!include", "")
    )
    asked = {
        name: spec
        for name, spec in questions.items()
        if not name.startswith("_") and spec.get("when", True) is not False
    }
    assert len(asked) >= 19
    for name, spec in asked.items():
        assert f"<code>{name}</code>" in reference, name
        assert spec["help"] in reference, name


def test_each_role_has_its_handbook_page(site):
    for path in (ROOT / "roles").glob("*.yml"):
        role = yaml.safe_load(path.read_text())
        handbook = page(site, f"roles/{role['name']}")
        assert role["summary"] in handbook
        assert f"nox -s {role['nox_session']}" in handbook
        assert f'href="{role["name"]}/"' in page(site, "roles")


def test_docs_follow_the_sources(tmp_path):
    """Change a question's help, a role and course.yml: the next build shows it."""
    fork = copy_of_this_template(tmp_path / "fork")
    questions = fork / "copier.yml"
    questions.write_text(
        questions.read_text().replace(
            "help: Weights & Biases project\n",
            "help: Tracking project of the 2028 course\n",
        )
    )
    role = fork / "roles" / "data.yml"
    role.write_text(
        role.read_text().replace("\nsummary: ", "\nsummary: Renamed data summary. ", 1)
    )
    course = fork / "course.yml"
    course.write_text(
        course.read_text().replace('initial: "2027-04-07"', 'initial: "2028-03-30"')
    )
    result = build(fork, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert "Tracking project of the 2028 course" in page(
        tmp_path / "site", "reference/questionnaire"
    )
    assert "2028-03-30" in page(tmp_path / "site", "reference/questionnaire")
    assert "Renamed data summary." in page(tmp_path / "site", "roles/data")


def test_broken_link_fails_the_strict_build(tmp_path):
    fork = copy_of_this_template(tmp_path / "fork")
    guide = fork / "docs" / "students.md"
    guide.write_text(guide.read_text() + "\nSee [the missing page](missing.md).\n")
    result = build(fork, tmp_path / "site")
    assert result.returncode != 0
    assert "missing.md" in result.stderr
