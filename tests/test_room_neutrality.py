"""Rooms are the same code for every problem kind: the kind lives in the shared package.

The rooms (data, training, serving, monitoring, cicd) reach the problem only
through the shared package's kind-neutral interface (`problem`, `spec`,
`contract`, `quality`, `model`) and its helpers, and never name what one kind is
made of: images or photos, Pillow, the Food-11 labels, a kind's request field
(`image`, `text`, `features`) or its drift statistics.

Room tests are held to the same rule. They are rendered identically for every
kind and run in every kind's project, so a test that names images either breaks
the text and tabular projects or silently checks nothing there; a kind's own
tests live beside its module, in the shared tests (`tests/test_shared_<kind>.py`).

Each check lists every offence as `path:line: what it names`, so a failure is a
to-do list.
"""

import ast
import re
from pathlib import Path

import pytest
from conftest import KIND_SCENARIOS, ROOMS, answers_of

# What rooms may import from the shared package.
INTERFACE = {
    "problem",
    "spec",
    "contract",
    "quality",
    "model",
    "paths",
    "telemetry",
    "scrape",
    "hardware",
    "hashing",
    "json_lines",  # the service's logs, read back
    "local_servers",  # real servers on loopback, for the rooms' tests
    "object_store",  # the team's S3 store: datasets, the shipped prediction log
}
# Libraries only an image kind needs.
IMAGE_LIBRARIES = {"PIL", "torchvision", "cv2", "imageio", "skimage"}
FOOD11_LABELS = (
    "Bread",
    "Dairy product",
    "Dessert",
    "Egg",
    "Fried food",
    "Meat",
    "Noodles/Pasta",
    "Rice",
    "Seafood",
    "Soup",
    "Vegetable/Fruit",
)
QUOTE = "[\"']"
# (what a line names, the pattern that finds it)
KIND_SPECIFICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an image", re.compile(r"(?<![a-z])image", re.I)),
    ("a photo", re.compile(r"photo", re.I)),
    ("pixels", re.compile(r"pixel", re.I)),
    ("RGB channels", re.compile(r"\brgb\b", re.I)),
    ("Pillow", re.compile(r"\bPIL\b|pillow", re.I)),
    ("Food-11", re.compile(r"food[-_ ]?11", re.I)),
    (
        "a Food-11 label",
        re.compile(r"\b(?:" + "|".join(map(re.escape, FOOD11_LABELS)) + r")\b"),
    ),
    (
        "the image kind's model",
        re.compile(r"small_cnn|mobilenet|imagenet", re.I),
    ),
    (
        "the image kind's drift statistics",
        re.compile(f"{QUOTE}(?:brightness|contrast|red|green|blue){QUOTE}"),
    ),
    (
        "the text request field",
        re.compile(
            rf"{QUOTE}text{QUOTE}\s*:|\[\s*{QUOTE}text{QUOTE}\s*\]"
            rf"|\.get\(\s*{QUOTE}text{QUOTE}"
        ),
    ),
    (
        "the features request field",
        re.compile(
            rf"(?:payload|request|body)\w*\s*(?:\[\s*|\.get\(\s*){QUOTE}features{QUOTE}"
            rf"|json\s*=\s*\{{\s*{QUOTE}features{QUOTE}"
        ),
    ),
)
# A line about an image in its infrastructure sense (the operating-system image of a
# Chameleon node in cicd/runner or a VM's `os_image` in cicd/infra, a container
# image) may say "image".
INFRASTRUCTURE_IMAGE = re.compile(
    r"chi\.image|\bIMAGE\b|\bos_image\b|CC-Ubuntu"
    r"|(?:CUDA|ROCm|OS|node|container|[Dd]ocker|GHCR) images?\b"
)


def room_modules(project: Path) -> list[Path]:
    """Every Python file of the rooms, tests and conftest files included."""
    return sorted(
        path
        for room in ROOMS
        for path in (project / room).rglob("*.py")
        if "__pycache__" not in path.parts
    )


def kind_specifics(line: str) -> list[str]:
    infrastructure = INFRASTRUCTURE_IMAGE.search(line) is not None
    return [
        what
        for what, pattern in KIND_SPECIFICS
        if pattern.search(line) and not (what == "an image" and infrastructure)
    ]


def import_offences(path: Path, package: str) -> list[tuple[int, str]]:
    """(line, what) for each import of the shared package beyond its interface, and
    of an image library."""
    offences = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [(node.module, [alias.name for alias in node.names])]
        else:
            continue
        for module, names in modules:
            top, _, rest = module.partition(".")
            if top in IMAGE_LIBRARIES:
                offences.append((node.lineno, f"imports {module}"))
            elif top != package:
                continue
            elif rest:
                if rest.split(".")[0] not in INTERFACE:
                    offences.append((node.lineno, f"imports {module}"))
            else:
                outside = [name for name in names or [module] if name not in INTERFACE]
                if outside:
                    offences.append(
                        (node.lineno, f"imports {', '.join(outside)} from {package}")
                    )
    return offences


kinds = pytest.mark.parametrize("task", KIND_SCENARIOS)


@kinds
def test_rooms_name_no_kind_specifics(rendered, task):
    project = rendered[KIND_SCENARIOS[task]]
    offences = [
        f"{path.relative_to(project)}:{number}: names {what}: {line.strip()}"
        for path in room_modules(project)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        for what in kind_specifics(line)
    ]
    if offences:
        pytest.fail(f"{len(offences)} offences:\n" + "\n".join(offences))


@kinds
def test_rooms_import_only_the_problem_interface(rendered, task):
    project = rendered[KIND_SCENARIOS[task]]
    package = answers_of(project)["package_name"]
    offences = [
        f"{path.relative_to(project)}:{number}: {what}"
        for path in room_modules(project)
        for number, what in import_offences(path, package)
    ]
    if offences:
        pytest.fail(
            f"rooms may import only {', '.join(sorted(INTERFACE))} from {package};"
            f" {len(offences)} offences:\n" + "\n".join(offences)
        )


def test_rooms_are_the_same_code_for_every_kind(rendered):
    """Renderings that differ only in `task` hold the same room modules."""
    projects = {task: rendered[scenario] for task, scenario in KIND_SCENARIOS.items()}
    trees = {
        task: {
            path.relative_to(project).as_posix(): path.read_bytes()
            for path in room_modules(project)
        }
        for task, project in projects.items()
    }
    default, *others = trees
    differing = sorted(
        f"{path} ({task})"
        for task in others
        for path in trees[default].keys() | trees[task].keys()
        if trees[default].get(path) != trees[task].get(path)
    )
    if differing:
        pytest.fail("room modules that depend on the kind:\n" + "\n".join(differing))


@pytest.mark.parametrize(
    "line, named",
    [
        ("from PIL import Image", ["an image", "Pillow"]),
        ("photos = labelled_photos(folder)", ["a photo"]),
        ("image_size: int = 64", ["an image"]),
        ('labels = ["Dessert", "Soup"]', ["a Food-11 label"]),
        ('payload = {"text": "coffee at the station"}', ["the text request field"]),
        ('value = request["features"]["distance"]', ["the features request field"]),
        (
            'assert record["features"]["blue"] > 0',
            ["the image kind's drift statistics"],
        ),
        ('IMAGE = "CC-Ubuntu22.04-CUDA"', []),
        ('image=chi.image.get_image_id(spec["image"]),', []),
        ('"image": settings.IMAGE,', []),
        ("# Chameleon's CUDA image for bare-metal GPU nodes", []),
        ('"features": problem.drift_features(spec, decoded),', []),
        ("subprocess.run(command, text=True)", []),
        ("imagined = True", []),
    ],
)
def test_the_check_finds_kind_specifics_and_only_those(line, named):
    assert kind_specifics(line) == named


def test_the_check_finds_imports_beyond_the_interface(tmp_path):
    module = tmp_path / "room.py"
    module.write_text(
        "import os\n"
        "from team import problem, quality\n"
        "from team.model import load_checkpoint\n"
        "from team import labels\n"
        "from team.preprocessing import to_array\n"
        "import team.image\n"
        "from PIL import Image\n"
        "from .helpers import image_helper\n"
    )
    assert import_offences(module, "team") == [
        (4, "imports labels from team"),
        (5, "imports team.preprocessing"),
        (6, "imports team.image"),
        (7, "imports PIL"),
    ]
