"""Render the template with cookiecutter, as a user of the cookiecutter front end would."""

import json
import sys
from pathlib import Path

from conftest import ROOT
from cookiecutter.main import cookiecutter


def cookiecutter_answers(answers: dict) -> dict[str, str]:
    """cookiecutter takes text answers: a list (members) is given as YAML, as typed."""
    return {
        name: json.dumps(value) if isinstance(value, list) else value
        for name, value in answers.items()
    }


def render_with_cookiecutter(
    output_dir: Path, template_root: Path = ROOT, **answers
) -> Path:
    """`cookiecutter --no-input <root> --directory template`; returns the project folder."""
    # cookiecutter imports the local extension by module name, and Python keeps the
    # first one imported: forget one that belongs to another copy of the template.
    loaded = sys.modules.get("questionnaire")
    if loaded is not None and not Path(loaded.__file__).resolve().is_relative_to(
        template_root.resolve()
    ):
        del sys.modules["questionnaire"]
    output_dir.mkdir(parents=True, exist_ok=True)
    # Replays and clones go to a scratch folder, not the user's home.
    config = output_dir / ".cookiecutter-config.yaml"
    config.write_text(
        f"replay_dir: {output_dir / '.replay'}\ncookiecutters_dir: {output_dir / '.clones'}\n"
    )
    project = cookiecutter(
        str(template_root),
        directory="template",
        no_input=True,
        extra_context=cookiecutter_answers(answers),
        output_dir=str(output_dir),
        config_file=str(config),
    )
    return Path(project)
