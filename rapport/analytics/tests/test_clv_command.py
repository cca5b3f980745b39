"""`rapport clv fit` fits the models to a CSV of transactions and rejects bad files clearly."""

import importlib.util
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from rapport.analytics.management.commands.clv import read_transactions

CDNOW = Path("/work/shared/data/cdnow/cdnow_sample_transactions.csv")
needs_cdnow = pytest.mark.skipif(
    not CDNOW.is_file(), reason="the CDNOW data is not in /work/shared/data/cdnow"
)
HAS_PARETO = importlib.util.find_spec("rapport.analytics.clv.pareto_nbd") is not None


def fit(path, *extra, date_col="date", amount_col="amount"):
    """Run `rapport clv fit` and return its output."""
    out = StringIO()
    args = ["fit", "--transactions", str(path), "--customer-col", "customer_id"]
    args += ["--date-col", date_col, "--calibration-end", "1997-09-30", *extra]
    if amount_col:
        args += ["--amount-col", amount_col]
    call_command("clv", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def write(tmp_path, text):
    path = tmp_path / "transactions.csv"
    path.write_text(text)
    return path


@needs_cdnow
def test_fit_on_cdnow_prints_published_parameters_as_json():
    report = json.loads(fit(CDNOW, "--json"))

    purchases, spend = report["purchase_model"], report["spend_model"]
    assert purchases["model"] == "bgnbd"
    assert {k: f"{v:.3g}" for k, v in purchases["params"].items()} == {
        "r": "0.243",
        "alpha": "4.41",
        "a": "0.793",
        "b": "2.43",
    }
    assert purchases["log_likelihood"] == pytest.approx(-9582.4, abs=0.05)
    assert purchases["customers"] == 2357
    assert purchases["converged"] is True
    assert purchases["seconds"] > 0
    assert {k: f"{v:.4g}" for k, v in spend["params"].items()} == {
        "p": "6.25",
        "q": "3.744",
        "gamma": "15.44",
    }
    assert spend["log_likelihood"] == pytest.approx(-4055.92, abs=0.01)
    assert spend["customers"] == 946
    assert report["data"]["rows"] == 6919
    assert report["data"]["rows_after_calibration_end"] == 1959


@needs_cdnow
def test_fit_without_amount_column_fits_only_the_purchase_model():
    report = json.loads(fit(CDNOW, "--json", amount_col=None))

    assert report["spend_model"] is None
    assert report["purchase_model"]["customers"] == 2357


@needs_cdnow
def test_fit_prints_a_readable_summary_without_json():
    output = fit(CDNOW)

    assert "2357 customers (946 with repeat purchases) up to 1997-09-30" in output
    assert "bgnbd: r = 0.2426, alpha = 4.41" in output
    assert "log-likelihood -9582.43" in output
    assert "gamma_gamma: p = 6.25" in output


@needs_cdnow
@pytest.mark.skipif(not HAS_PARETO, reason="pareto_nbd.py is not there yet")
def test_fit_can_use_pareto_nbd():
    report = json.loads(fit(CDNOW, "--json", "--model", "pareto", amount_col=None))

    assert report["purchase_model"]["model"] == "pareto_nbd"
    assert report["purchase_model"]["customers"] == 2357


def test_pareto_without_its_module_fails_clearly(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "rapport.analytics.clv.pareto_nbd", None)
    path = write(tmp_path, "customer_id,date,amount\n1,1997-01-01,10\n")

    with pytest.raises(CommandError, match="Pareto/NBD model is not available"):
        fit(path, "--model", "pareto")


def test_compact_iso_and_custom_date_formats_are_read(tmp_path):
    path = write(tmp_path, "customer_id,date,amount\n1,19970102,10\n2,1997-01-03T10:00,5\n")
    german = tmp_path / "german.csv"
    german.write_text("customer_id,date,amount\n1,02.01.1997,10\n")

    ids, dates, amounts = read_transactions(path, customer_col="customer_id", date_col="date")
    _, german_dates, _ = read_transactions(
        german, customer_col="customer_id", date_col="date", date_format="%d.%m.%Y"
    )

    assert ids.tolist() == ["1", "2"]
    assert dates.astype(str).tolist() == ["1997-01-02", "1997-01-03"]
    assert amounts is None
    assert german_dates.astype(str).tolist() == ["1997-01-02"]


def test_date_not_in_the_given_format_names_its_line(tmp_path):
    path = write(tmp_path, "customer_id,date,amount\n1,1997-01-02,10\n")

    with pytest.raises(
        CommandError, match=r"Line 2: cannot read the date '1997-01-02' as %d.%m.%Y"
    ):
        fit(path, "--date-format", "%d.%m.%Y")


def test_missing_column_is_named_with_the_columns_there(tmp_path):
    path = write(tmp_path, "customer,date,amount\n1,1997-01-01,10\n")

    with pytest.raises(CommandError, match="no column customer_id; its columns are: customer"):
        fit(path)


def test_unreadable_date_names_its_line(tmp_path):
    path = write(tmp_path, "customer_id,date,amount\n1,1997-01-01,10\n2,yesterday,5\n")

    with pytest.raises(CommandError, match=r"Line 3: cannot read the date 'yesterday'"):
        fit(path)


def test_impossible_date_names_its_line(tmp_path):
    path = write(tmp_path, "customer_id,date,amount\n1,1997-02-30,10\n")

    with pytest.raises(CommandError, match="Line 2: cannot read the date"):
        fit(path)


def test_unreadable_amount_names_its_line(tmp_path):
    path = write(tmp_path, "customer_id,date,amount\n1,1997-01-01,10\n1,1997-01-02,ten\n")

    with pytest.raises(CommandError, match=r"Line 3: cannot read the amount 'ten'"):
        fit(path)


def test_empty_customer_id_names_its_line(tmp_path):
    path = write(tmp_path, "customer_id,date,amount\n,1997-01-01,10\n")

    with pytest.raises(CommandError, match="Line 2: the customer id is empty"):
        fit(path)


def test_short_row_names_its_line(tmp_path):
    path = write(tmp_path, "customer_id,date,amount\n1,1997-01-01\n")

    with pytest.raises(CommandError, match="Line 2: 2 values"):
        fit(path)


def test_file_without_rows_is_rejected(tmp_path):
    path = write(tmp_path, "customer_id,date,amount\n")

    with pytest.raises(CommandError, match="has no transactions"):
        fit(path)


def test_missing_file_is_rejected(tmp_path):
    with pytest.raises(CommandError, match="Cannot open"):
        fit(tmp_path / "nowhere.csv")


def test_data_that_cannot_support_a_fit_is_rejected_clearly(tmp_path):
    path = write(tmp_path, "customer_id,date,amount\n1,1997-01-01,10\n2,1997-01-05,5\n")

    with pytest.raises(CommandError, match="At least 10 customers"):
        fit(path)


def test_calibration_end_before_the_data_is_rejected(tmp_path):
    path = write(tmp_path, "customer_id,date,amount\n1,1998-01-01,10\n")

    with pytest.raises(CommandError, match="before the first transaction"):
        fit(path)


def test_bad_file_exits_with_a_non_zero_code(tmp_path):
    path = write(tmp_path, "customer_id,date,amount\n1,someday,10\n")
    result = subprocess.run(  # noqa: S603 (our own command, fixed arguments)
        [sys.executable, "-m", "rapport", "clv", "fit", "--transactions", str(path)]
        + ["--customer-col", "customer_id", "--date-col", "date"]
        + ["--calibration-end", "1997-09-30"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "Line 2: cannot read the date 'someday'" in result.stderr
