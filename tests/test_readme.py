"""The README stays in step with the code: every setting is documented."""

from __future__ import annotations

from pathlib import Path

from exporter.settings import ENV_PREFIX, Settings

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_has_a_row() -> None:
    for name in Settings.model_fields:
        assert f"| `{ENV_PREFIX}{name.upper()}` |" in README, name


def test_the_two_commands_come_first() -> None:
    first_block = README.split("```", 2)[1]
    assert "make demo" in README.split("## The two commands", 1)[1].split("##", 1)[0]
    assert "make test" in README.split("## The two commands", 1)[1].split("##", 1)[0]
    assert first_block  # the data-flow picture precedes the commands


def test_metrics_reference_matches_the_code() -> None:
    from exporter.metrics.families import ALL_METRICS

    for spec in ALL_METRICS:
        labels = ", ".join(spec.labels) or "-"
        assert f"| `{spec.name}` | {spec.type} | {labels} | {spec.help} |" in README, spec.name


def test_pricing_example_is_the_shipped_file() -> None:
    from exporter.cost.pricing import example_pricing_text

    assert f"```yaml\n{example_pricing_text()}```" in README
