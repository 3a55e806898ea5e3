"""Render one team repository per row of a roster CSV, offline.

    python roster.py teams.csv out/        # or: nox -s roster -- teams.csv out/

The CSV has a header row and these columns (see examples/teams.csv):

    team        the project name, free text ("Food Vision")
    members     3 or 4 GitHub handles separated by spaces ("amy bob cat")
    roles       who owns what, "role=handle" separated by ";" or spaces
                ("training=amy; serving=bob; data=cat; cicd=shared"); roles left
                out get the questionnaire's defaults (monitoring: the serving owner)
    project_id  optional; by default the course prefix and the row's team number
                (proj01 for the first team, ...)
    task        optional; the problem kind (image-classification, the default,
                text-classification or tabular-regression)

Every other answer comes from course.yml. Each repository is rendered with copier
from this template (the working tree, as `copier copy --vcs-ref HEAD` does), into
OUT/<project_id>-<slug>, and committed on a `main` branch; its answers file names
course.yml's `template_url` as the source, so run the roster from a checkout of a
release you have pushed (a tag), or teams' `copier update` will not find its commit.
Nothing is pushed: the command prints, for each team, the line that creates and
pushes its repository, then makes its settings (branch protection, environments,
workflow permissions) with the team's own `nox -s github-setup`; run those lines
with GITHUB_TOKEN set to a token that may administer the organisation's
repositories (the team's cicd/docs/github.md lists the permissions).

Every row is checked against the questionnaire's own rules (copier.yml's validators)
before anything is rendered; a bad row is reported with its line number and nothing
is written. A team folder that already exists is never touched.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent

REQUIRED_COLUMNS = ("team", "members", "roles")
OPTIONAL_COLUMNS = ("project_id", "task")
OWNER_ANSWERS = {"shared"}  # besides the members themselves


class RosterError(Exception):
    """A problem with the roster as a whole or with one of its rows."""


@dataclass
class Team:
    line: int
    name: str
    answers: dict = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"line {self.line} (team {self.name!r})"


def load_questionnaire():
    """template/questionnaire.py: copier.yml's rules applied without rendering."""
    sys.path.insert(0, str(ROOT / "template"))
    import questionnaire

    return questionnaire


def course() -> dict:
    return yaml.safe_load((ROOT / "course.yml").read_text(encoding="utf-8"))


def split_items(text: str) -> list[str]:
    return text.replace(";", " ").replace(",", " ").split()


def parse_roles(text: str, where: str, roles_in_use: list[str]) -> dict[str, str]:
    owners: dict[str, str] = {}
    for item in split_items(text):
        role, equals, handle = item.partition("=")
        if not equals or not role or not handle:
            raise RosterError(
                f"{where}: roles entry {item!r} is not role=handle (e.g. training=amy)"
            )
        if role not in roles_in_use:
            raise RosterError(
                f"{where}: unknown role {role!r}; the course's roles are {', '.join(roles_in_use)}"
            )
        if role in owners:
            raise RosterError(f"{where}: role {role!r} is given twice")
        owners[role] = handle
    return owners


def read_roster(csv_path: Path) -> list[Team]:
    """Every row as copier answers; RosterError naming the row for the first bad one."""
    settings = course()
    roles_in_use = list(settings["roles_in_use"])
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise RosterError(f"cannot read {csv_path}: {error.strerror}") from error
    reader = csv.DictReader(text.splitlines())
    columns = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise RosterError(
            f"{csv_path}: the header lacks the column(s) {', '.join(missing)} (it has: {', '.join(columns) or 'nothing'})"
        )
    unknown = [
        name for name in columns if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    ]
    if unknown:
        raise RosterError(f"{csv_path}: unknown column(s) {', '.join(unknown)}")
    teams: list[Team] = []
    for number, row in enumerate(reader, start=1):
        line = reader.line_num
        # csv gives missing fields the value None and extra ones the key None.
        if None in row or None in row.values():
            raise RosterError(
                f"{csv_path}: line {line} has a different number of fields than the header"
            )
        row = {key.strip(): value.strip() for key, value in row.items()}
        team = Team(line=line, name=row["team"])
        if not team.name:
            raise RosterError(f"{csv_path}: line {line}: the team column is empty")
        members = split_items(row["members"])
        if not members:
            raise RosterError(f"{csv_path}: {team.where}: the members column is empty")
        project_id = (
            row.get("project_id") or f"{settings['project_id_prefix']}{number:02d}"
        )
        team.answers = {
            "project_name": team.name,
            "project_id": project_id,
            "members": members,
        }
        if row.get("task"):
            team.answers["task"] = row["task"]
        for role, handle in parse_roles(
            row["roles"], f"{csv_path}: {team.where}", roles_in_use
        ).items():
            team.answers[f"{role}_owner"] = handle
        teams.append(team)
    if not teams:
        raise RosterError(f"{csv_path}: no teams (only a header?)")
    questionnaire = load_questionnaire()
    for team in teams:
        refusal = questionnaire.evaluate(team.answers, validate=True)[1]
        if refusal:
            raise RosterError(f"{csv_path}: {team.where}: {refusal}")
    seen: dict[str, Team] = {}
    for team in teams:
        other = seen.setdefault(team.answers["project_id"], team)
        if other is not team:
            raise RosterError(
                f"{csv_path}: {team.where} and {other.where} share project_id {team.answers['project_id']}"
            )
    return teams


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def record_template_url(repository: Path) -> None:
    """Point the answers file at the published template instead of this checkout.

    copier records where it rendered from; teams must update from the course's
    repository, which holds the same commit once this checkout's release is pushed.
    """
    answers_file = repository / ".copier-answers.yml"
    lines = answers_file.read_text(encoding="utf-8").splitlines(keepends=True)
    url = course()["template_url"]
    answers_file.write_text(
        "".join(
            f"_src_path: {url}\n" if line.startswith("_src_path:") else line
            for line in lines
        ),
        encoding="utf-8",
    )


def render(team: Team, out: Path) -> Path:
    """The team's repository, committed; RosterError naming the row if copier refuses it."""
    import copier

    staging = out / f".rendering-line-{team.line}"
    try:
        copier.run_copy(
            str(ROOT),
            str(staging),
            data=team.answers,
            defaults=True,
            vcs_ref="HEAD",
            quiet=True,
        )
    except ValueError as error:
        raise RosterError(f"{team.where}: {error}") from error
    answers = yaml.safe_load(
        (staging / ".copier-answers.yml").read_text(encoding="utf-8")
    )
    destination = out / f"{answers['project_id']}-{answers['project_slug']}"
    if destination.exists():
        shutil.rmtree(staging)
        raise RosterError(
            f"{team.where}: {destination} already exists; remove it or render into another folder"
        )
    staging.rename(destination)
    record_template_url(destination)
    git(destination, "init", "-q")
    git(destination, "add", "-A")
    git(
        destination,
        "-c",
        "user.name=mlsys-team-template roster",
        "-c",
        "user.email=roster@localhost",
        "commit",
        "-q",
        "-m",
        "Start from mlsys-team-template",
    )
    return destination


def push_command(repository: Path, owner: str) -> str:
    name = f"{owner}/{repository.name}"
    return (
        f"gh repo create {name} --private --source {repository} --remote origin"
        f" && git -C {repository} push -u origin main"
        f" && GITHUB_REPOSITORY={name} nox -f {repository}/noxfile.py -s github-setup"
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    csv_path, out = Path(argv[0]), Path(argv[1])
    try:
        teams = read_roster(csv_path)
    except RosterError as error:
        print(f"roster: {error}", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    owner = course()["github_owner"]
    commands, failures = [], []
    for team in teams:
        try:
            repository = render(team, out)
        except RosterError as error:
            failures.append(f"{csv_path}: {error}")
            continue
        print(f"roster: {team.where} -> {repository}", file=sys.stderr)
        commands.append(push_command(repository, owner))
    print("\n".join(commands))
    for failure in failures:
        print(f"roster: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
