"""The questionnaire: defaults, derived names, and the refusal of every bad answer."""

import pytest
import yaml
from conftest import DERIVED_NAMES, KIND_MODULES, ROOT, TASKS, answers_of, render

# (answers on top of the defaults, the message copier must refuse them with)
INVALID_ANSWERS = {
    "empty name": ({"project_name": " "}, "project_name must not be empty"),
    "quote in name": (
        {"project_name": 'Say "cheese"'},
        "project_name may not contain quotes",
    ),
    "name without latin letters": ({"project_name": "美食"}, "project_slug is empty"),
    "slug with capitals": (
        {"project_slug": "Food_Vision"},
        "may hold only lowercase ASCII",
    ),
    "package shadows a room": ({"package_name": "serving"}, "would shadow a room"),
    "package starts with digit": (
        {"package_name": "1food"},
        "is not a plain Python package name",
    ),
    "project id without proj": (
        {"project_id": "07"},
        "must be 'proj' followed by digits",
    ),
    "project id with letters": (
        {"project_id": "proj7a"},
        "must be 'proj' followed by digits",
    ),
    "owner handle": (
        {"github_owner": "-team"},
        "github_owner: '-team' is not a GitHub handle",
    ),
    "members not a list": (
        {"members": "ana, ben, chloe"},
        "members must be a YAML list",
    ),
    "two members": (
        {"members": ["ana", "ben"]},
        "members must list 3 or 4 GitHub handles; got 2",
    ),
    "five members": ({"members": ["a", "b", "c", "d", "e"]}, "got 5"),
    "bad member handle": (
        {"members": ["an!a", "ben", "chloe"]},
        "members: 'an!a' is not a GitHub handle",
    ),
    "double hyphen": (
        {"members": ["an--a", "ben", "chloe"]},
        "nor follow another hyphen",
    ),
    "too long handle": (
        {"members": ["a" * 40, "ben", "chloe"]},
        "longer than 39 characters",
    ),
    "duplicate members": ({"members": ["Ana", "ben", "ana"]}, "'ana' is listed twice"),
    "owner not a member": (
        {"training_owner": "zed"},
        "training_owner 'zed' is not one of the members",
    ),
    "cicd owner unknown": (
        {"cicd_owner": "zed"},
        "cicd_owner 'zed' is not one of the members (gg-ana, gg-ben, gg-chloe, gg-dev) nor 'shared'",
    ),
    "member without a role": (
        {"cicd_owner": "shared"},
        "every member must own at least one role, but gg-dev owns none",
    ),
    "two members without a role": (
        {
            "serving_owner": "gg-ana",
            "monitoring_owner": "gg-ana",
            "data_owner": "gg-ana",
            "cicd_owner": "gg-ana",
        },
        "but gg-ben, gg-chloe, gg-dev own none",
    ),
    "not a date": (
        {"milestone_initial": "April 7"},
        "milestone_initial 'April 7' is not an ISO date",
    ),
    "not a calendar date": (
        {"milestone_initial": "2027-02-29"},
        "milestone_initial '2027-02-29' is not a calendar date",
    ),
    "system before initial": (
        {"milestone_system": "2027-04-01"},
        "milestone_system 2027-04-01 must come after milestone_initial 2027-04-07",
    ),
    "operation same day": (
        {"milestone_operation": "2027-04-28"},
        "milestone_operation 2027-04-28 must come after milestone_system 2027-04-28",
    ),
    "unknown site": ({"chameleon_site": "KVM@TACC"}, "Invalid choice"),
    "node type at other site": (
        {"gpu_node_type": "compute_liqid"},
        # The choices are course.yml's node types at the chosen site.
        "'compute_liqid' is not in ['gpu_rtx6000', 'compute_gigaio', 'gpu_a100_pcie']",
    ),
    "lease too long": (
        {"lease_hours": 7},
        "lease_hours must be a whole number of hours from 1 to 6",
    ),
    "lease zero": ({"lease_hours": 0}, "from 1 to 6"),
    "unknown ci runner": ({"ci_runner": "gitlab"}, "Invalid choice"),
    "unknown task": ({"task": "image-segmentation"}, "Invalid choice"),
    "task in other words": ({"task": "Text classification"}, "Invalid choice"),
    "time zone name": (
        {"course_timezone": "Eastern Time"},
        "course_timezone 'Eastern Time' is not an IANA time-zone name",
    ),
    "time zone abbreviation": (
        {"course_timezone": "EST"},
        "course_timezone 'EST' is not an IANA",
    ),
    "wandb entity": (
        {"wandb_entity": "my team"},
        "wandb_entity 'my team' may hold only",
    ),
    "wandb project": ({"wandb_project": "a/b"}, "wandb_project 'a/b' must be"),
    "host app image in capitals": (
        {"host_app_image": "ghcr.io/Acme/Shop:1.0"},
        "host_app_image 'ghcr.io/Acme/Shop:1.0' is not a container image reference",
    ),
    "host app image with an empty tag": (
        {"host_app_image": "acme/shop:"},
        "its tag must be 1 to 128",
    ),
    "host app port out of range": (
        {"host_app_image": "acme/shop:1.0", "host_app_port": 70000},
        "host_app_port must be a port number from 1 to 65535; got 70000",
    ),
}


@pytest.mark.parametrize(
    "answers, message", INVALID_ANSWERS.values(), ids=INVALID_ANSWERS.keys()
)
def test_invalid_answer_is_refused_before_writing(tmp_path, answers, message):
    destination = tmp_path / "project"
    with pytest.raises(ValueError) as refusal:
        render(destination, **answers)
    assert message in str(refusal.value)
    assert not destination.exists(), "a refused answer must leave nothing behind"


def test_refusal_names_the_question(tmp_path):
    with pytest.raises(ValueError, match="Validation error for question 'lease_hours'"):
        render(tmp_path / "p", lease_hours=9)


def test_bad_task_is_refused_naming_the_question_and_the_answer(tmp_path):
    with pytest.raises(ValueError) as refusal:
        render(tmp_path / "p", task="vision")
    assert "'task'" in str(refusal.value) and "'vision'" in str(refusal.value)
    assert not (tmp_path / "p").exists()


def test_defaults_make_a_valid_four_member_demo_team(tmp_path):
    answers = answers_of(render(tmp_path / "p"))
    assert answers["project_name"] == "GourmetGram"
    assert (answers["project_slug"], answers["package_name"]) == (
        "gourmetgram",
        "gourmetgram",
    )
    assert len(answers["members"]) == 4
    owners = {
        answers[f"{role}_owner"] for role in ("training", "serving", "data", "cicd")
    }
    assert owners == set(answers["members"]), "each of the 4 members owns a role"
    assert answers["monitoring_owner"] == answers["serving_owner"]
    # The course forbids GitHub-hosted runners: the team's own is the default.
    assert answers["ci_runner"] == "chameleon"
    assert answers["task"] == "image-classification"


def test_task_choices_are_the_kinds_the_tests_cover():
    questions = yaml.safe_load(
        (ROOT / "copier.yml").read_text().replace("!include", "")
    )
    assert tuple(questions["task"]["choices"]) == TASKS
    assert questions["task"]["default"] == TASKS[0]


@pytest.mark.parametrize("task", TASKS)
def test_task_is_recorded_and_picks_its_kind_module(tmp_path, task):
    project = render(tmp_path / "p", task=task)
    assert answers_of(project)["task"] == task
    package = project / "gourmetgram"
    kind = KIND_MODULES[task]
    assert f"from .{kind} import" in (package / "problem.py").read_text()
    modules = {f"{module}.py" for module in KIND_MODULES.values()}
    assert {path.name for path in package.iterdir()} & modules == {f"{kind}.py"}


def test_three_members_share_cicd_by_default(tmp_path):
    answers = answers_of(render(tmp_path / "p", members=["amy", "bob", "cat"]))
    assert answers["cicd_owner"] == "shared"
    assert (
        answers["training_owner"],
        answers["serving_owner"],
        answers["data_owner"],
    ) == ("amy", "bob", "cat")


@pytest.mark.parametrize("name, slug, package", DERIVED_NAMES)
def test_names_are_derived_from_free_text(tmp_path, name, slug, package):
    answers = answers_of(render(tmp_path / "p", project_name=name))
    assert (answers["project_slug"], answers["package_name"]) == (slug, package)
    assert answers["wandb_project"] == slug


def test_node_type_default_follows_the_site(tmp_path):
    answers = answers_of(render(tmp_path / "p", chameleon_site="CHI@TACC"))
    assert answers["gpu_node_type"] == "compute_liqid"


def test_computed_values_stay_out_of_the_answers_file(tmp_path):
    answers = answers_of(render(tmp_path / "p"))
    assert "cookiecutter" not in answers and "roles" not in answers
    assert "task_module" not in answers
