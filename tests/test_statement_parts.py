"""Statement parts without a warehouse: the tier arithmetic, the pay date, payroll settings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from openspm.settings import PayrollSettings, SettingsError, parse_settings
from openspm.statements.payroll import pay_date, read_payroll, render_payroll
from openspm.statements.tiers import Tier, amount_text, percent_text, tier_steps

TIERS = [
    Tier(1, Decimal("0"), Decimal("1.0"), Decimal("0.10")),
    Tier(2, Decimal("1.0"), Decimal("1.5"), Decimal("0.15")),
    Tier(3, Decimal("1.5"), None, Decimal("0.20")),
]


def test_marginal_tiers_step_by_step() -> None:
    """docs/statements.md: 120,000 of a 100,000 quota = 10,000 + 3,000."""
    tier, steps, earned = tier_steps(
        "marginal", Decimal("120000"), Decimal("100000"), TIERS, None, None
    )
    assert [(s.text, s.amount) for s in steps] == [
        ("the first 100,000.00 (0% to 100% of quota) at 10%", Decimal("10000.00")),
        ("the next 20,000.00 (100% to 150% of quota) at 15%", Decimal("3000.00")),
    ]
    assert earned == Decimal("13000.00")
    assert tier == "tier 2 (from 100% of quota) at 15%"


def test_retroactive_cap_and_negative_credit() -> None:
    tier, steps, earned = tier_steps(
        "retroactive", Decimal("160000"), Decimal("100000"), TIERS, None, Decimal("30000")
    )
    assert earned == Decimal("30000") and tier == "tier 3 (from 150% of quota) at 20%"
    assert [s.text for s in steps] == [
        "all 160,000.00 at the rate of tier 3 (from 150% of quota): 20%",
        "capped at 30,000.00",
    ]
    assert sum(s.amount for s in steps) == earned
    _, steps, earned = tier_steps(
        "marginal", Decimal("-5000"), Decimal("100000"), TIERS, None, None
    )
    assert earned == Decimal("-500.00") and "negative credit to date" in steps[0].text
    _, steps, earned = tier_steps("flat", Decimal("3000"), None, [], Decimal("0.03"), None)
    assert (steps[0].text, earned) == ("3,000.00 at 3%", Decimal("90.00"))


def test_amounts_round_half_away_from_zero() -> None:
    assert amount_text(Decimal("-2.345")) == "-2.35"
    assert amount_text(Decimal("1234567.005")) == "1,234,567.01"
    assert percent_text(Decimal("0.8250000000")) == "82.5%"


def test_pay_date() -> None:
    assert pay_date("2026-01", PayrollSettings()) == date(2026, 2, 15)
    assert pay_date("2026-01", PayrollSettings(pay_day=31)) == date(2026, 2, 28)
    assert pay_date("2026-12", PayrollSettings(pay_month="same", pay_day="last")) == date(
        2026, 12, 31
    )


def test_payroll_columns_are_configurable() -> None:
    settings = parse_settings(
        {
            "company": "A",
            "reporting_currency": "USD",
            "payroll": {
                "earning_codes": {"commission": "C100"},
                "columns": {"employee_id": "Worker ID", "amount": "Gross"},
            },
        }
    ).payroll
    row = {
        "employee_id": "E1", "employee_name": "Ada", "period": "2026-01",
        "pay_date": "2026-02-15", "earning_type": "commission",
        "earning_code": settings.earning_codes.commission, "amount": "10.00", "currency": "USD",
    }
    text = render_payroll([row], settings)
    assert text.splitlines()[0].startswith("Worker ID,employee_name")
    assert "C100" in text
    assert read_payroll(text, settings) == [row]


@pytest.mark.parametrize(
    ("payroll", "message"),
    [
        ({"pay_dy": 15}, "key 'payroll.pay_dy': unknown key"),
        ({"pay_day": 0}, "key 'payroll.pay_day': a day of the month (1 to 31) or 'last'"),
        ({"pay_month": "later"}, "key 'payroll.pay_month'"),
        ({"earning_codes": {"bonus": "B"}}, "key 'payroll.earning_codes.bonus': unknown key"),
        ({"columns": {"amount": "currency"}}, "given to more than one column: currency"),
    ],
)
def test_bad_payroll_settings_are_refused(payroll: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=r"openspm\.yaml") as error:
        parse_settings({"company": "A", "reporting_currency": "USD", "payroll": payroll})
    assert message in str(error.value)
