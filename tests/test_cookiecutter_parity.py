"""cookiecutter renders the same source to the same tree as copier, and refuses the same answers."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DERIVED_NAMES, ROOT, SCENARIOS, TASKS, render
from cookiecutter_front import checked_out_template, render_with_cookiecutter
from test_questionnaire import INVALID_ANSWERS


def asked_questions() -> list[str]:
    """copier.yml's asked questions, as the cookiecutter front end reads them."""
    # Loaded under another name: the module cookiecutter imports stays its own.
    spec = importlib.util.spec_from_file_location(
        "questionnaire_read_by_tests", ROOT / "template" / "questionnaire.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.asked_questions()


COPIER_ONLY = {".copier-answers.yml"}


def tree(project: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and permission bits, by relative path."""
    return {
        path.relative_to(project).as_posix(): (
            path.read_bytes(),
            path.stat().st_mode & 0o777,
        )
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.parts
    }


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_cookiecutter_tree_is_byte_identical_to_copier(tmp_path, scenario):
    # Fresh renderings: the shared `rendered` projects collect caches and artifacts
    # from the tests that run inside them.
    by_copier = tree(render(tmp_path / "copier", **SCENARIOS[scenario]))
    by_cookiecutter = tree(
        render_with_cookiecutter(tmp_path / "cookiecutter", **SCENARIOS[scenario])
    )
    assert by_copier.keys() >= COPIER_ONLY
    assert sorted(by_cookiecutter) == sorted(by_copier.keys() - COPIER_ONLY)
    differing = [
        path for path in by_cookiecutter if by_cookiecutter[path] != by_copier[path]
    ]
    assert not differing


def test_cookiecutter_json_offers_exactly_copier_questions_in_order():
    offered = json.loads((ROOT / "template" / "cookiecutter.json").read_text())
    assert [name for name in offered if not name.startswith("_")] == asked_questions()


def test_cookiecutter_offers_copier_choice_of_task():
    """A plain text answer (not a cookiecutter choice list, which would refuse a
    bad answer with a traceback before the questionnaire sees it): same default,
    and its prompt names every kind."""
    offered = json.loads((ROOT / "template" / "cookiecutter.json").read_text())
    assert offered["task"] == TASKS[0]
    assert all(task in offered["__prompts__"]["task"] for task in TASKS)


@pytest.mark.parametrize(
    "answers, message", INVALID_ANSWERS.values(), ids=INVALID_ANSWERS.keys()
)
def test_cookiecutter_refuses_what_copier_refuses(tmp_path, answers, message):
    output = tmp_path / "out"
    with pytest.raises(ValueError) as refusal:
        render_with_cookiecutter(output, **answers)
    assert message in str(refusal.value)
    assert str(refusal.value).startswith("Validation error for question '")
    assert not [path for path in output.iterdir() if not path.name.startswith(".")], (
        "nothing may be written"
    )


def cookiecutter_command_line(
    tmp_path: Path, *answers: str
) -> subprocess.CompletedProcess:
    """`cookiecutter --no-input ROOT --directory template ANSWER...` as a user types
    it, into tmp_path/out."""
    config = tmp_path / "config.yaml"
    config.write_text(f"replay_dir: {tmp_path / 'replay'}\n")
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("cookiecutter")),
            "--no-input",
            "--config-file",
            str(config),
            "--output-dir",
            str(tmp_path / "out"),
            str(checked_out_template()),
            "--directory",
            "template",
            *answers,
        ],
        check=False,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    "answer, message",
    [
        (
            "lease_hours=9",
            "Validation error for question 'lease_hours': lease_hours must be a whole number",
        ),
        (
            "task=vision",
            "Validation error for question 'task': Invalid choice for 'task': "
            f"'vision' is not in {list(TASKS)!r}",
        ),
    ],
)
def test_cookiecutter_command_line_prints_the_refusal_without_traceback(
    tmp_path, answer, message
):
    result = cookiecutter_command_line(tmp_path, answer, "members=[amy, bob, cat]")
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert message in output
    assert "Traceback" not in output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_cookiecutter_command_line_takes_the_task(tmp_path):
    result = cookiecutter_command_line(tmp_path, "task=tabular-regression")
    assert result.returncode == 0, result.stdout + result.stderr
    package = tmp_path / "out" / "gourmetgram" / "gourmetgram"
    assert "from .tabular import" in (package / "problem.py").read_text()
    assert not (package / "image.py").exists()


def test_cookiecutter_command_line_takes_members_as_yaml(tmp_path):
    result = cookiecutter_command_line(
        tmp_path, "project_name=Food Vision", "members=[amy, bob, cat]"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    codeowners = (
        tmp_path / "out" / "food-vision" / ".github" / "CODEOWNERS"
    ).read_text()
    assert "* @amy @bob @cat" in codeowners
    assert "/cicd/ @amy @bob @cat" in codeowners, "three members share cicd by default"


@pytest.mark.parametrize("name, slug, package", DERIVED_NAMES)
def test_cookiecutter_derives_copier_names(tmp_path, name, slug, package):
    project = render_with_cookiecutter(tmp_path, project_name=name)
    assert project.name == slug
    assert (project / package / "model.py").is_file()
    assert f'name = "{slug}"' in (project / "pyproject.toml").read_text()
