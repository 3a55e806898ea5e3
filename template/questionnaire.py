"""copier.yml, evaluated for the cookiecutter front end.

cookiecutter renders the same template folder as copier. So that both engines agree
without a second copy of the questionnaire, this module reads copier.yml itself:

- `CopierQuestionnaire`, a local Jinja extension named in cookiecutter.json, gives
  cookiecutter the course defaults (`course`), the repository root as template
  loader (so `{% import 'hooks/naming.jinja' %}` works as under copier), and makes
  every template see `cookiecutter` exactly as copier's computed `cookiecutter`
  question builds it (members as a list, the role data, the owners mapping, the
  room handbooks).
- Once every answer is known (the first thing cookiecutter renders afterwards is the
  project folder's name), copier.yml's own types, choices and validators (the macros
  of hooks/checks.jinja) are applied in order, and the first invalid answer stops
  cookiecutter with copier's message, before anything is written. A
  `pre_gen_project` hook would come too late: cookiecutter runs it after creating
  the project folder, and cannot create that folder at all when the slug is bad.

Only the copier features copier.yml uses are supported: `type` (str, int, bool,
float, yaml), `choices`, `default`, `validator`, `when` and `!include`.
"""

from __future__ import annotations

import contextlib
import functools
import json
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2.ext import Extension

ROOT = Path(__file__).resolve().parent.parent
COPIER_YML = ROOT / "copier.yml"
COURSE_YML = ROOT / "course.yml"
# Every rendered file starts with this statement under cookiecutter (see preprocess).
CONTEXT_STATEMENT = "{% set cookiecutter = cookiecutter | copier_context %}"


class _IncludeLoader(yaml.SafeLoader):
    """copier's loader: `!include GLOB` yields the list of documents it matches."""


def _include(loader: yaml.Loader, node: yaml.Node) -> list[Any]:
    documents: list[Any] = []
    for path in sorted(ROOT.glob(str(loader.construct_scalar(node)))):
        for document in yaml.load_all(path.read_bytes(), Loader=_IncludeLoader):
            if isinstance(document, list):
                documents.extend(document)
            elif document:
                documents.append(document)
    return documents


_IncludeLoader.add_constructor("!include", _include)


@functools.cache
def questions() -> dict[str, dict]:
    """copier.yml's questions in their order (settings starting with `_` left out)."""
    config = yaml.load(COPIER_YML.read_text(encoding="utf-8"), Loader=_IncludeLoader)
    return {name: spec for name, spec in config.items() if not name.startswith("_")}


def asked_questions() -> list[str]:
    """Questions a user answers: the keys cookiecutter.json must offer."""
    return [
        name
        for name, spec in questions().items()
        if spec.get("when", True) is not False
    ]


@functools.cache
def course() -> dict:
    return yaml.safe_load(COURSE_YML.read_text(encoding="utf-8"))


@functools.cache
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(str(ROOT)),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["to_json"] = json.dumps
    environment.filters["from_yaml"] = yaml.safe_load
    return environment


def _render(text: str, context: dict[str, Any]) -> str:
    return _environment().from_string(text).render(**context)


def _cast(kind: str, value: Any) -> Any:
    """Convert an answer as copier does for the question's `type`."""
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        if isinstance(value, str):
            return value.strip().lower() in {"y", "yes", "t", "true", "on", "1"}
        return bool(value)
    if kind == "yaml":
        return yaml.safe_load(value) if isinstance(value, str) else value
    return value if isinstance(value, str) else str(value)


def _default(spec: dict, context: dict[str, Any]) -> Any:
    default = spec.get("default")
    return _render(default, context) if isinstance(default, str) else default


def _is_asked(spec: dict, context: dict[str, Any]) -> bool:
    when = spec.get("when", True)
    if isinstance(when, str):
        when = _render(when, context).strip().lower() not in {
            "",
            "false",
            "no",
            "n",
            "0",
            "off",
        }
    return bool(when)


def evaluate(answers: dict[str, Any], validate: bool) -> tuple[dict[str, Any], str]:
    """Walk copier.yml in order: (every question's value, first refusal or "")."""
    context: dict[str, Any] = {}
    for name, spec in questions().items():
        kind = spec.get("type", "str")
        if not _is_asked(spec, context):
            default = spec.get("default")
            context[name] = (
                _cast(kind, _default(spec, context))
                if isinstance(default, str)
                else default
            )
            continue
        raw = answers[name] if name in answers else _default(spec, context)
        try:
            value = _cast(kind, raw)
        except (TypeError, ValueError, yaml.YAMLError) as error:
            if validate:
                return (
                    context,
                    f"Validation error for question '{name}': not a valid {kind}: {raw!r} ({error})",
                )
            value = raw
        context[name] = value
        if not validate:
            continue
        choices = spec.get("choices")
        if isinstance(choices, str):  # templated, as copier renders it: YAML
            choices = yaml.safe_load(_render(choices, context))
        if choices is not None and value not in choices:
            return (
                context,
                # Worded as copier words it, so both engines refuse alike.
                f"Validation error for question '{name}': Invalid choice for '{name}': {value!r} is not in {list(choices)!r}",
            )
        validator = spec.get("validator")
        message = _render(validator, context).strip() if validator else ""
        if message:
            return context, f"Validation error for question '{name}': {message}"
    return context, ""


try:
    from cookiecutter.exceptions import FailedHookException
except ImportError:  # used without cookiecutter, e.g. by roster.py's checks
    FailedHookException = Exception  # type: ignore[misc,assignment]


class AnswerRefused(FailedHookException, ValueError):
    """An invalid answer. A ValueError as under copier; cookiecutter's command line
    prints a FailedHookException's message without a traceback and exits with 1."""


@functools.cache
def _computed(answers_json: str) -> dict[str, Any]:
    context, refusal = evaluate(json.loads(answers_json), validate=True)
    if refusal:
        raise AnswerRefused(refusal)
    return context["cookiecutter"]


def copier_context(cookiecutter: Any) -> Any:
    """The `cookiecutter` value copier's templates see, built from cookiecutter's answers.

    While cookiecutter is still prompting, only some answers exist: those get copier's
    types (so a default such as `cookiecutter.members[0]` works) and nothing else.
    With all answers present they are validated (AnswerRefused on the first bad one).
    Private keys (`_template`, `_output_dir`, ...) are kept.
    """
    if not isinstance(cookiecutter, dict) or "roles" in cookiecutter:
        return cookiecutter
    specs = questions()
    answers = {name: value for name, value in cookiecutter.items() if name in specs}
    private = {
        name: value for name, value in cookiecutter.items() if name.startswith("_")
    }
    if all(name in answers for name in asked_questions()):
        return {
            **private,
            **_computed(json.dumps(answers, sort_keys=True, default=str)),
        }
    typed = dict(cookiecutter)
    for name, value in answers.items():
        # Left as given when it does not cast: validation names the bad answer
        # once all are in.
        with contextlib.suppress(TypeError, ValueError, yaml.YAMLError):
            typed[name] = _cast(specs[name].get("type", "str"), value)
    return typed


class CopierQuestionnaire(Extension):
    """cookiecutter's side of the shared questionnaire (see the module docstring)."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.globals["course"] = course()
        environment.filters["copier_context"] = copier_context
        if environment.loader is None:
            environment.loader = FileSystemLoader(str(ROOT))

    def preprocess(
        self, source: str, name: str | None, filename: str | None = None
    ) -> str:
        # Macro libraries (hooks/*.jinja) are imported without context: leave them be.
        if name is not None and name.endswith(".jinja"):
            return source
        return CONTEXT_STATEMENT + source
