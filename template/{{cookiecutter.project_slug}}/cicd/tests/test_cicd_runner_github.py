"""Runner registration and clean-up, over HTTP against a local GitHub API."""

import pytest
from fake_github import JIT_CONFIG, RELEASE_SHA, TOKEN, FakeGitHub

from cicd.runner import cli, settings
from cicd.runner.credentials import Secret
from cicd.runner.github import GitHub, GitHubError

REPOSITORY = settings.DEFAULT_REPOSITORY
LABEL = settings.run_label("42-1")


@pytest.fixture
def api():
    with FakeGitHub(REPOSITORY) as server:
        yield server


def client(api, token=TOKEN) -> GitHub:
    return GitHub(REPOSITORY, Secret(token), api_url=api.url)


def test_register_asks_for_a_one_job_runner_with_the_run_label(api):
    registration = client(api).register(LABEL, [LABEL])
    assert registration.name == LABEL
    assert registration.jit_config.value == JIT_CONFIG
    assert JIT_CONFIG not in repr(registration)  # a Secret prints as a mask
    request = api.requests[-1]
    assert request["method"] == "POST"
    assert request["path"] == f"/repos/{REPOSITORY}/actions/runners/generate-jitconfig"
    assert request["headers"]["x-github-api-version"] == "2022-11-28"
    assert request["body"]["runner_group_id"] == 1
    assert {"self-hosted", "gpu", LABEL} <= set(request["body"]["labels"])
    assert api.runners[registration.runner_id]["name"] == LABEL


def test_a_second_registration_of_the_same_name_is_refused(api):
    client(api).register(LABEL, [LABEL])
    with pytest.raises(GitHubError, match="answered 409"):
        client(api).register(LABEL, [LABEL])


def test_errors_name_the_call_and_never_the_token(api, monkeypatch):
    wrong = "ghp_wrong-token-also-secret"
    monkeypatch.setenv("RUNNER_ADMIN_TOKEN", wrong)
    with pytest.raises(GitHubError) as error:
        client(api, token=wrong).register(LABEL, [LABEL])
    assert "generate-jitconfig answered 401" in str(error.value)
    assert wrong not in str(error.value)  # the server echoed it; the tool masked it


def test_runner_release_reads_the_linux_x64_checksum(api):
    release = client(api).runner_release()
    assert (release.version, release.sha256) == ("2.330.0", RELEASE_SHA)
    assert release.url.endswith("/v2.330.0/actions-runner-linux-x64-2.330.0.tar.gz")


def test_a_release_without_checksum_is_refused(api):
    api.release_body = "no checksums here"
    with pytest.raises(GitHubError, match="refusing to install an unverified runner"):
        client(api).runner_release()


def test_down_removes_only_the_runs_runner(api):
    github = client(api)
    github.register(LABEL, [LABEL])
    other = api.add_runner(settings.run_label("43-1"))
    foreign = api.add_runner("another-teams-runner")
    removed = cli.remove_runners(github, cli.runners_named(github, LABEL))
    assert removed == [LABEL]
    assert set(api.runners) == {other, foreign}


def test_runner_listing_follows_pages(api):
    for number in range(150):
        api.add_runner(settings.run_label(f"{number}-1"))
    assert len(client(api).runners()) == 150
    pages = [r["path"] for r in api.requests if r["method"] == "GET"]
    assert [path.rsplit("page=", 1)[1] for path in pages] == ["1", "2"]
