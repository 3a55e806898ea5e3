"""roles/ is the single source of ownership: every role is wired end to end."""

import re
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

TEMPLATE = ROOT / "template" / "{{cookiecutter.project_slug}}"
ROLE_FILES = sorted((ROOT / "roles").glob("*.yml"))
REQUIRED_FIELDS = {
    "name",
    "order",
    "title",
    "owner_question",
    "summary",
    "room",
    "paths",
    "nox_session",
    "handbook",
    "files",
    "pr_checklist",
    "deliverables",
}
CHECK_KINDS = ("session", "tests", "file")


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def copier_questions() -> dict:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor(
        "!include", lambda loader, node: loader.construct_scalar(node)
    )
    return yaml.load((ROOT / "copier.yml").read_text(), Loader=Loader)


def test_the_five_course_roles_exist():
    assert {load(path)["name"] for path in ROLE_FILES} == {
        "data",
        "training",
        "serving",
        "monitoring",
        "cicd",
    }


@pytest.mark.parametrize("path", ROLE_FILES, ids=lambda path: path.stem)
def test_role_is_complete_and_wired(path):
    role = load(path)
    assert role.keys() >= REQUIRED_FIELDS, (
        f"{path.name} lacks {REQUIRED_FIELDS - role.keys()}"
    )
    assert path.stem == role["name"] == role["room"]
    assert role["owner_question"] == f"{role['name']}_owner"
    questions = copier_questions()
    assert role["owner_question"] in questions, (
        f"copier.yml asks no {role['owner_question']}"
    )
    assert (
        f'"{role["name"]}": {role["owner_question"]}'
        in (ROOT / "copier.yml").read_text()
    ), "the cookiecutter.owners mapping in copier.yml must name this role's owner"
    room = TEMPLATE / role["room"]
    assert (
        room / "README.md"
    ).read_text() == f"{{{{ cookiecutter.handbooks.{role['name']} }}}}\n", (
        "a room's README.md only prints the handbook hooks/handbook.jinja renders for its role"
    )
    assert (room / "requirements.txt").is_file()
    assert (room / "tests").is_dir()
    assert f"/{role['room']}/" in role["paths"], "a role owns its room"
    noxfile = (TEMPLATE / "noxfile.py").read_text()
    assert f"def {role['nox_session'].replace('-', '_')}(session" in noxfile


# What a room's file map need not list: its handbook (the map is in it) and the
# package marker.
UNMAPPED = {"README.md", "__init__.py", "__pycache__"}
# A file only some answers generate is named `{% if ... %}name{% endif %}`; each
# variant is one entry of the map.
CONDITIONAL_NAME = re.compile(r"\{%.*?%\}(?P<name>.*?)\{%-? *endif *-?%\}")


def generated_name(name: str) -> str:
    found = CONDITIONAL_NAME.fullmatch(name)
    return found["name"] if found else name


PARTS = ("core", "tool", "course")


@pytest.mark.parametrize("path", ROLE_FILES, ids=lambda path: path.stem)
def test_the_file_map_lists_the_room_exactly(path):
    """Every file or folder of the room is on its handbook's map, once, with a part
    and a purpose, and every entry on the map exists."""
    role = load(path)
    room = TEMPLATE / role["room"]
    entries = [entry["path"] for entry in role["files"]]
    assert len(entries) == len(set(entries)), f"{path.name}: an entry is listed twice"
    on_disk = {
        generated_name(child.name) + ("/" if child.is_dir() else "")
        for child in room.iterdir()
        if child.name not in UNMAPPED
    }
    assert on_disk - set(entries) == set(), f"{path.name}: files: lacks these"
    assert set(entries) - on_disk == set(), f"{path.name}: files: lists these, gone"
    for entry in role["files"]:
        assert entry["part"] in PARTS, f"{path.name}: {entry['path']}: part"
        assert isinstance(entry["what"], str) and entry["what"], entry["path"]


def test_role_orders_are_distinct():
    orders = [load(path)["order"] for path in ROLE_FILES]
    assert len(orders) == len(set(orders))


def milestones() -> list[dict]:
    return yaml.safe_load((ROOT / "milestones.yml").read_text())


def assert_deliverable_checkable(
    item: dict, where: str, rooms: set[str], noxfile: str
) -> None:
    assert isinstance(item.get("title"), str) and item["title"], f"{where}: no title"
    kinds = [kind for kind in CHECK_KINDS if kind in item]
    assert len(kinds) == 1, (
        f"{where} ({item['title']}): exactly one of {CHECK_KINDS}, got {kinds}"
    )
    if "session" in item:
        assert f"def {item['session'].replace('-', '_')}(session" in noxfile, (
            f"{where}: no nox session {item['session']}"
        )
    if "tests" in item:
        assert item["tests"] in rooms, f"{where}: no room {item['tests']}"
    if "file" in item:
        assert item.get("contains"), f"{where}: a file check needs `contains`"
    assert item.get("figure") in (
        None,
        "training-curve",
        "per-class-accuracy",
        "serving-latency",
    )


def test_every_deliverable_is_checkable():
    """Deliverables per role and shared ones: each names one check that exists."""
    names = [milestone["name"] for milestone in milestones()]
    assert names == ["initial", "system", "operation"]
    questions = copier_questions()
    noxfile = (TEMPLATE / "noxfile.py").read_text()
    roles = [load(path) for path in ROLE_FILES]
    rooms = {role["room"] for role in roles}
    for milestone in milestones():
        assert milestone["date_question"] in questions
        for item in milestone["shared"]:
            assert_deliverable_checkable(
                item, f"milestones.yml {milestone['name']}", rooms, noxfile
            )
    for role in roles:
        assert set(role["deliverables"]) == set(names), (
            f"{role['name']}: deliverables for {names}"
        )
        for milestone, items in role["deliverables"].items():
            assert items, f"{role['name']} has nothing to show at {milestone}"
            for item in items:
                assert_deliverable_checkable(
                    item, f"roles/{role['name']}.yml {milestone}", rooms, noxfile
                )
