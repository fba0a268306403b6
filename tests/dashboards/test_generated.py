"""The committed JSON is exactly what `python -m dashboards.build` writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from dashboards import build
from tests.dashboards.queries import DASHBOARD_DIR, panels


def test_committed_json_is_up_to_date() -> None:
    assert build.stale(DASHBOARD_DIR) == [], "run: python -m dashboards.build"


def test_every_committed_json_file_is_generated() -> None:
    assert {p.name for p in DASHBOARD_DIR.glob("*.json")} == set(build.generate())


def test_check_mode_flags_a_hand_edited_file(tmp_path: Path, capsys) -> None:
    assert build.main(["--out", str(tmp_path)]) == 0
    assert build.main(["--check", "--out", str(tmp_path)]) == 0
    edited = tmp_path / "quotameter-costs.json"
    board = json.loads(edited.read_text())
    board["title"] = "edited in Grafana"
    edited.write_text(json.dumps(board))
    assert build.main(["--check", "--out", str(tmp_path)]) == 1
    assert "quotameter-costs.json is stale" in capsys.readouterr().err


def test_check_mode_flags_a_missing_file(tmp_path: Path) -> None:
    shutil.copytree(DASHBOARD_DIR, tmp_path / "d", ignore=shutil.ignore_patterns("*.py"))
    (tmp_path / "d" / "quotameter-quotas.json").unlink()
    assert build.stale(tmp_path / "d") == ["quotameter-quotas.json"]


def money_units(board: dict) -> set[str]:
    return {
        p["fieldConfig"]["defaults"]["unit"]
        for p in panels(board)
        if p["fieldConfig"]["defaults"]["unit"] != "percentunit"
    }


def test_currency_is_a_generator_option() -> None:
    assert money_units(build.generate()["quotameter-costs.json"]) == {"currencyUSD"}
    assert money_units(build.generate("eur")["quotameter-costs.json"]) == {"currencyEUR"}
    # A currency Grafana has no unit for is shown as a suffix.
    assert money_units(build.generate("NZD")["quotameter-costs.json"]) == {"suffix: NZD"}
