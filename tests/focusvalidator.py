"""The FinOps Foundation's focus-validator, run on a FOCUS file, its verdicts read back.

`make test` installs it into a venv of its own (.venv/focus: it needs Python 3.12+).
A missing validator fails the test that needs it, never skips it.
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTALLED = ROOT / ".venv" / "focus" / "bin" / "focus-validator"  # where `make test` puts it
VERSION = "1.2"  # the newest FOCUS version focus-validator 2.2.1 carries the rules of
# The conditional parts of FOCUS quotameter fills, and so asks the validator to check.
CRITERIA = (
    "ACCOUNT_NAMING_SUPPORTED",
    "BILLING_BASED_ON_PROVISIONED_RESOURCES_SUPPORTED",
    "RESOURCE_TYPE_ASSIGNMENT_SUPPORTED",
    "SUB_ACCOUNT_SUPPORTED",
    "TAGGING_SUPPORTED",
    "USAGE_MEASUREMENT_SUPPORTED",
)
# Rules that fail on every valid file without commitment discounts or invoices, each
# for a reason outside the file's content (checked by the tests, so a new failure shows):
EXPECTED_FAILURES = {
    # The condition of ConsumedQuantity-C-005-C reads CommitmentDiscountStatus, a column
    # FOCUS wants only from providers with commitment discounts: the query fails on the
    # missing column, and the failure climbs to the rules above it.
    "ConsumedQuantity-C-000-C",
    "ConsumedQuantity-C-003-C",
    "ConsumedQuantity-C-004-C",
    "ConsumedQuantity-C-005-C",
    "ConsumedQuantity-C-006-C",
    # One branch of InvoiceId-C-003-C's OR ("null when there is no invoice" or "not
    # null when there is one"): the other branch, and so the OR, passes.
    "InvoiceId-C-005-C",
}


@dataclass(frozen=True)
class Verdicts:
    """Rule id -> passed | failed | skipped, as the validator's JUnit report has them."""

    rules: dict[str, str]

    def having(self, outcome: str) -> set[str]:
        """Rule ids with this outcome."""
        return {rule for rule, found in self.rules.items() if found == outcome}


def validator() -> Path:
    """The focus-validator executable; fails the test when it is not installed."""
    if INSTALLED.is_file():
        return INSTALLED
    pytest.fail("focus-validator is not installed (`make test` installs it into .venv/focus)")


def validate(data: Path, *, workdir: Path) -> Verdicts:
    """Run the validator on ``data`` for FOCUS ``VERSION`` with our criteria, offline."""
    tool = validator()
    python = tool.parent / "python"
    site = subprocess.run(
        [str(python), "-c", "import focus_validator, os; "
         "print(os.path.dirname(os.path.dirname(focus_validator.__file__)))"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    report = workdir / "focus-validator.xml"
    result = subprocess.run(
        [str(tool), "--data-file", str(data.resolve()), "--validate-version", VERSION,
         "--block-download", "--applicability-criteria", ",".join(CRITERIA),
         "--output-type", "unittest", "--output-destination", str(report)],
        # It opens its currency code list by a path relative to its own site-packages.
        cwd=site, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert report.is_file(), result.stdout[-3000:]
    return read_report(report)


def read_report(report: Path) -> Verdicts:
    """Each rule's outcome in a JUnit report of focus-validator."""
    rules: dict[str, str] = {}
    for case in ET.parse(report).iter("testcase"):
        rule = case.get("name", "").split(" :: ")[0]
        tags = {child.tag for child in case}
        outcome = "failed" if tags & {"failure", "error"} else "skipped" if tags else "passed"
        rules[rule] = outcome
    return Verdicts(rules)


def assert_valid(verdicts: Verdicts) -> None:
    """No mandatory rule failed, nothing failed but the expected rules, every column the
    dataset must have is present, and enough rules ran that the verdict means something."""
    failed = verdicts.having("failed")
    assert not {rule for rule in failed if rule.endswith("-M")}, sorted(failed)
    assert failed <= EXPECTED_FAILURES, sorted(failed - EXPECTED_FAILURES)
    # CostAndUsage-D-000..002-M are composites the validator reports as skipped whenever
    # any part of them is skipped; the rules after them check one column's presence each.
    presence = {rule for rule in verdicts.rules if rule.startswith("CostAndUsage-D-")
                and rule.endswith("-M") and rule > "CostAndUsage-D-002-M"}  # fmt: skip
    assert len(presence) >= 20
    assert presence <= verdicts.having("passed"), sorted(presence - verdicts.having("passed"))
    passed_mandatory = {rule for rule in verdicts.having("passed") if rule.endswith("-M")}
    assert len(passed_mandatory) >= 120, len(passed_mandatory)
