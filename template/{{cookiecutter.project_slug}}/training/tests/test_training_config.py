"""training/config.yaml plus key=value overrides: values, and clear refusals."""

import subprocess
import sys

import pytest
import yaml

from {{ cookiecutter.package_name }} import problem
from {{ cookiecutter.package_name }}.paths import REPO_ROOT

from training import train
from training.config import DEFAULT_CONFIG_PATH, ConfigError, load_config


def test_the_shipped_config_loads_with_sensible_defaults() -> None:
    config = load_config()
    # "default" in the file: the problem's default architecture; a team that adds
    # one of its own (the shared package's README) names it there instead.
    shipped = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))["arch"]
    assert config.arch == (problem.DEFAULT_ARCH if shipped == "default" else shipped)
    assert config.arch in problem.ARCHITECTURES
    assert config.pretrained is False
    assert config.device == "auto"
    assert config.amp is False
    assert config.compile is False
    assert config.resume is False
    assert config.quality_bar == 0.6
    assert problem.TASK in config.tracking.tags
    assert config.tracking.project
    # An empty entity means "your default entity", which wandb spells None.
    assert config.tracking.entity is None or config.tracking.entity.strip()


def test_overrides_replace_dotted_keys_with_yaml_scalars() -> None:
    config = load_config(
        DEFAULT_CONFIG_PATH,
        [
            "epochs=3",
            "lr=0.01",
            "tracking.project=x",
            "amp=true",
            "tracking.tags=[a, b]",
        ],
    )
    assert config.epochs == 3
    assert config.lr == pytest.approx(0.01)
    assert config.tracking.project == "x"
    assert config.amp is True
    assert config.tracking.tags == ("a", "b")


def test_every_architecture_of_the_problem_is_accepted_by_name() -> None:
    for arch in problem.ARCHITECTURES:
        assert load_config(DEFAULT_CONFIG_PATH, [f"arch={arch}"]).arch == arch
    assert load_config(DEFAULT_CONFIG_PATH, ["arch=default"]).arch == (
        problem.DEFAULT_ARCH
    )


def test_the_problems_own_settings_may_be_left_out_and_are_checked(tmp_path) -> None:
    shipped = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    for key in problem.SETTINGS:
        shipped.pop(key, None)
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(shipped), encoding="utf-8")
    config = load_config(other)
    # Left out, the problem chooses; given, each reaches problem.fit by its name.
    assert config.problem_settings == dict.fromkeys(problem.SETTINGS)
    for key, least in problem.SETTINGS.items():
        given = load_config(other, [f"{key}={least + 1}"])
        assert given.to_dict()[key] == least + 1
        with pytest.raises(ConfigError, match=f"'?{key}'? "):
            load_config(other, [f"{key}={least - 1}"])
    with pytest.raises(ConfigError, match="unknown config key 'resolution'"):
        load_config(other, ["resolution=1"])


def test_exponent_notation_is_a_number_even_though_yaml_reads_a_string() -> None:
    assert load_config(DEFAULT_CONFIG_PATH, ["lr=1e-3"]).lr == pytest.approx(0.001)


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("epoch=3", "epoch"),
        ("tracking.projct=x", "tracking.projct"),
        ("tracking=x", "tracking"),
        ("wandb.project=x", "wandb.project"),  # renamed: the message says to what
        ("epochs=three", "epochs"),
        ("epochs=2.5", "epochs"),
        ("epochs=0", "epochs"),
        ("batch_size=true", "batch_size"),
        ("lr=0", "lr"),
        ("lr=fast", "lr"),
        ("amp=maybe", "amp"),
        ("device=tpu", "device"),
        ("arch=resnet", "arch"),
        ("quality_bar=1.5", "quality_bar"),
        ("quality_bar=-0.1", "quality_bar"),
        ("min_accuracy=0.6", "min_accuracy"),
        ("tracking.project=", "tracking.project"),
        ("tracking.tags={a: 1}", "tracking.tags"),
    ],
)
def test_an_unknown_key_or_a_wrong_value_is_refused_by_name(
    override: str, named: str
) -> None:
    with pytest.raises(ConfigError, match=f"'?{named}'? "):
        load_config(DEFAULT_CONFIG_PATH, [override])


def test_a_renamed_section_is_refused_with_its_new_name() -> None:
    with pytest.raises(ConfigError, match=r"'wandb\.tags' .* is now 'tracking\.tags'"):
        load_config(DEFAULT_CONFIG_PATH, ["wandb.tags=[a]"])


def test_an_override_without_equals_sign_is_refused() -> None:
    with pytest.raises(ConfigError, match="key=value"):
        load_config(DEFAULT_CONFIG_PATH, ["epochs"])


def test_another_config_file_is_checked_the_same_way(tmp_path) -> None:
    shipped = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    other = tmp_path / "fast.yaml"
    other.write_text(yaml.safe_dump({**shipped, "epochs": 1}), encoding="utf-8")
    assert load_config(other).epochs == 1
    assert load_config(other, ["epochs=2"]).epochs == 2

    typo = tmp_path / "typo.yaml"
    typo.write_text(yaml.safe_dump({**shipped, "learning_rate": 0.1}))
    with pytest.raises(ConfigError, match="learning_rate"):
        load_config(typo)

    incomplete = tmp_path / "incomplete.yaml"
    incomplete.write_text("arch: default\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="lacks the key"):
        load_config(incomplete)


def test_the_command_line_exits_2_naming_the_key(capsys, tmp_path) -> None:
    with pytest.raises(SystemExit) as stopped:
        train.main(["epochs=three"])
    assert stopped.value.code == 2
    assert "epochs" in capsys.readouterr().err

    with pytest.raises(SystemExit) as stopped:
        train.main(["--config", str(tmp_path / "missing.yaml")])
    assert stopped.value.code == 2
    assert "config file not found" in capsys.readouterr().err


def test_the_module_runs_as_a_program_and_refuses_an_unknown_key() -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "training.train", "learning_rate=0.1"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 2
    assert "unknown config key 'learning_rate'" in finished.stderr
