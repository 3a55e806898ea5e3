"""Per-member numbers from a real git history written by several authors."""

import subprocess
from pathlib import Path

import pytest

from cicd.course.contributions import contributions, handle_of

MEMBERS = ["ana", "ben", "chloe", "dev"]
ANA = "Ana R <123+ana@users.noreply.github.com>"
BEN_NOREPLY = "Ben B <456+ben@users.noreply.github.com>"
OWNED = {
    "ana": ["/training/"],
    "ben": ["/serving/", "/monitoring/"],
    "chloe": ["/data/"],
    "dev": ["/cicd/", "/noxfile.py"],
}


def commit(repo: Path, author: str, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(
        ["git", "commit", "-q", "--author", author, "-m", message],
        cwd=repo,
        check=True,
        env={
            "GIT_COMMITTER_NAME": "CI",
            "GIT_COMMITTER_EMAIL": "ci@example.org",
            "HOME": str(repo),
            "PATH": "/usr/bin:/bin:/usr/local/bin",
        },
    )


def lines(count: int, prefix: str = "line") -> str:
    return "".join(f"{prefix} {index}\n" for index in range(count))


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("history")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    # Chloe commits from her university address; .mailmap maps it to her handle.
    (repo / ".mailmap").write_text(
        "chloe <chloe@users.noreply.github.com> Chloe C <chloe@uni.example>\n"
    )
    # ana by her GitHub noreply address (display name is not her handle).
    commit(repo, ANA, {"training/a.py": lines(3)}, "train")
    # ben by author name equal to his handle, in both rooms he owns.
    ben_files = {"serving/s.py": lines(2), "monitoring/m.py": lines(4)}
    commit(repo, "ben <ben@example.org>", ben_files, "serve")
    commit(repo, "Chloe C <chloe@uni.example>", {"data/d.py": lines(5)}, "data")
    # ana and ben pair: ana authors, ben is credited by a trailer. The commit also
    # touches a file outside ben's rooms (README) and one outside ana's (serving).
    commit(
        repo,
        ANA,
        {
            "training/a.py": lines(2) + "changed\n",
            "serving/s.py": lines(4),
            "README.md": lines(7),
        },
        f"pair on the contract\n\nCo-authored-by: {BEN_NOREPLY}",
    )
    # Someone whose identity matches no member, in chloe's room, with a co-author
    # who is not a member either.
    commit(
        repo,
        "Eve <eve@example.org>",
        {"data/d.py": lines(6)},
        "drive-by\n\nCo-authored-by: Mallory <mallory@example.org>",
    )
    return repo


def test_each_member_gets_their_own_numbers(history):
    report = contributions(history, MEMBERS, OWNED)
    ana, ben, chloe, dev = (report.by_member[member] for member in MEMBERS)
    # training/a.py: +3, then +1 -1; the README and serving lines are not hers.
    assert (ana.commits, ana.co_authored, ana.added, ana.removed) == (2, 0, 4, 1)
    # serving +2 and monitoring +4 authored; serving +2 as co-author.
    assert (ben.commits, ben.co_authored, ben.added, ben.removed) == (1, 1, 8, 0)
    # Through .mailmap; Eve's later line in data/ is not chloe's.
    assert (chloe.commits, chloe.added, chloe.removed) == (1, 5, 0)
    # A member with no commits yet still has a row, with zeros.
    assert (dev.commits, dev.co_authored, dev.added, dev.removed) == (0, 0, 0, 0)


def test_unmatched_authors_are_listed_not_dropped(history):
    report = contributions(history, MEMBERS, OWNED)
    assert report.unmatched == {
        "Eve <eve@example.org>": 1,
        "Mallory <mallory@example.org> (co-author)": 1,
    }


def test_shared_rooms_count_for_everyone(history):
    # A shared role: the same paths are owned by every member.
    shared = {member: ["/data/"] for member in MEMBERS}
    report = contributions(history, MEMBERS, shared)
    assert report.by_member["chloe"].commits == 1
    assert report.by_member["ana"].commits == 0


@pytest.mark.parametrize(
    ("identity", "handle"),
    [
        ("Ana R <123+ana@users.noreply.github.com>", "ana"),
        ("whoever <Ana@users.noreply.github.com>", "ana"),
        ("BEN <ben@example.org>", "ben"),
        ("Ben Bell <ben@example.org>", None),
        ("not an identity", None),
    ],
)
def test_identity_to_handle(identity, handle):
    assert handle_of(identity, MEMBERS) == handle
