"""Render the template with cookiecutter, as a user of the cookiecutter front end would."""

import atexit
import functools
import json
import shutil
import sys
import tempfile
from pathlib import Path

from cookiecutter.main import cookiecutter
from template_releases import copy_of_this_template


@functools.cache
def checked_out_template() -> Path:
    """This repository as a clone of it holds it, uncommitted changes included.

    What `cookiecutter gh:...` renders: unlike copier, which renders what git
    tracks, cookiecutter would copy ignored files too (a `.ruff_cache/` or
    `__pycache__/` left in template/ by a developer's tools).
    """
    copy = Path(tempfile.mkdtemp(prefix="template-checkout-"))
    atexit.register(shutil.rmtree, copy, ignore_errors=True)
    return copy_of_this_template(copy)


def cookiecutter_answers(answers: dict) -> dict[str, str]:
    """cookiecutter takes text answers: a list (members) is given as YAML, as typed."""
    return {
        name: json.dumps(value) if isinstance(value, list) else value
        for name, value in answers.items()
    }


def render_with_cookiecutter(
    output_dir: Path, template_root: Path | None = None, **answers
) -> Path:
    """`cookiecutter --no-input <root> --directory template`; returns the project folder.

    The root is this template as checked out, unless another one is given.
    """
    template_root = template_root or checked_out_template()
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
