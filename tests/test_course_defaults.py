"""course.yml: an instructor's fork changes the defaults of both engines without touching template/."""

import copier
import pytest
import yaml
from conftest import ROOT
from cookiecutter_front import render_with_cookiecutter
from template_releases import copy_of_this_template
from test_cookiecutter_parity import tree

COURSE_2028 = {
    "project_id_prefix": "team",
    "github_owner": "mlsys-2028",
    "milestones": {
        "initial": "2028-03-30",
        "system": "2028-04-20",
        "operation": "2028-05-04",
    },
    "chameleon_site": "CHI@TACC",
    "node_types": {
        # A node type the template does not know: course.yml is the only list.
        "CHI@UC": ["gpu_rtx6000", "gpu_h100_nvlink"],
        "CHI@TACC": ["gpu_p100", "compute_liqid"],
    },
    "lease_hours": 5,
}


@pytest.fixture(scope="module")
def fork(tmp_path_factory):
    """A copy of the template whose course.yml an instructor has edited."""
    root = copy_of_this_template(tmp_path_factory.mktemp("fork"))
    course = yaml.safe_load((root / "course.yml").read_text())
    course.update(COURSE_2028)
    (root / "course.yml").write_text(yaml.safe_dump(course, sort_keys=False))
    return root


def test_course_file_sets_the_defaults(fork, tmp_path):
    copier.run_copy(str(fork), str(tmp_path / "p"), defaults=True, quiet=True)
    answers = yaml.safe_load((tmp_path / "p" / ".copier-answers.yml").read_text())
    assert answers["project_id"] == "team01"
    assert answers["github_owner"] == "mlsys-2028"
    assert (
        answers["milestone_initial"],
        answers["milestone_system"],
        answers["milestone_operation"],
    ) == (
        "2028-03-30",
        "2028-04-20",
        "2028-05-04",
    )
    assert (
        answers["chameleon_site"],
        answers["gpu_node_type"],
        answers["lease_hours"],
    ) == ("CHI@TACC", "gpu_p100", 5)
    readme = (tmp_path / "p" / "README.md").read_text()
    assert "2028-04-20" in readme and "`gpu_p100` node at\n  CHI@TACC" in readme
    assert "computed" not in answers and "course" not in answers, (
        "course values are never stored"
    )


def test_cookiecutter_reads_the_same_course_file(fork, tmp_path):
    copier.run_copy(str(fork), str(tmp_path / "by-copier"), defaults=True, quiet=True)
    by_cookiecutter = render_with_cookiecutter(tmp_path / "cc", template_root=fork)
    expected = tree(tmp_path / "by-copier")
    expected.pop(".copier-answers.yml")
    assert tree(by_cookiecutter) == expected


@pytest.mark.parametrize(
    "answers, message",
    [
        (
            {"project_id": "proj07"},
            "project_id 'proj07' must be 'team' followed by digits, e.g. team07",
        ),
        (
            # Each engine words a refused choice its own way; both name the
            # answer and the types course.yml offers at the site.
            {"gpu_node_type": "compute_gigaio"},
            r"'compute_gigaio'.*gpu_p100'?, '?compute_liqid",
        ),
    ],
)
def test_course_rules_follow_the_course_file(fork, tmp_path, answers, message):
    with pytest.raises(ValueError, match=message):
        copier.run_copy(
            str(fork), str(tmp_path / "p"), data=answers, defaults=True, quiet=True
        )
    with pytest.raises(ValueError, match=message):
        render_with_cookiecutter(tmp_path / "cc", template_root=fork, **answers)


def test_course_file_names_only_existing_roles():
    course = yaml.safe_load((ROOT / "course.yml").read_text())
    roles = {path.stem for path in (ROOT / "roles").glob("*.yml")}
    assert set(course["roles_in_use"]) <= roles


def test_a_node_type_added_to_the_course_file_is_offered_by_both_engines(
    fork, tmp_path
):
    answers = {"chameleon_site": "CHI@UC", "gpu_node_type": "gpu_h100_nvlink"}
    copier.run_copy(
        str(fork), str(tmp_path / "p"), data=answers, defaults=True, quiet=True
    )
    stored = yaml.safe_load((tmp_path / "p" / ".copier-answers.yml").read_text())
    assert stored["gpu_node_type"] == "gpu_h100_nvlink"
    project = render_with_cookiecutter(tmp_path / "cc", template_root=fork, **answers)
    assert "`gpu_h100_nvlink` node at" in (project / "README.md").read_text()
