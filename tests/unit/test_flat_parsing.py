"""Parsing without guessing: every guard fires on bad input and stays quiet on good input."""

import time
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import yaml

from lead_scoring.errors import LeadScoringError
from lead_scoring.flat.parsing import (
    AmbiguousTimestampFormat,
    NumberFormat,
    NumberFormatError,
    UnparseableTimestamps,
    numeric_with_separators,
    parse_numbers,
    parse_timestamps,
)

MIXED_FORMATS = {  # the four renderings of one date found in a real export, lower-cased as conform leaves them
    "iso": lambda d: d.strftime("%Y-%m-%d"),
    "day_first": lambda d: d.strftime("%d/%m/%Y"),
    "month_first": lambda d: d.strftime("%m/%d/%Y"),
    "words": lambda d: f"{d:%B} {d.day} {d.year}".lower(),
}


def dates(n: int, seed: int = 7) -> list[pd.Timestamp]:
    days = np.random.default_rng(seed).integers(0, 1000, n)
    return list(pd.Timestamp("2023-01-01") + pd.to_timedelta(days, unit="D"))


def mixed_export(shares: dict[str, float], n: int = 2000, seed: int = 7) -> tuple[list[str], list[pd.Timestamp], np.ndarray]:
    truth = dates(n, seed)
    styles = np.random.default_rng(seed + 1).choice(list(shares), size=n, p=list(shares.values()))
    return [MIXED_FORMATS[s](d) for s, d in zip(styles, truth)], truth, styles


def parse(values, fmt=None, column="created"):
    return parse_timestamps(pa.array(values, pa.string()), fmt, column)


def assert_reads_only_true_dates(result, truth) -> None:
    got = result.values.to_pylist()
    wrong = [(g, t) for g, t in zip(got, truth) if g is not None and g != pd.Timestamp(t).to_pydatetime()]
    assert not wrong, f"{len(wrong)} values read as another date, e.g. {wrong[:3]}"


@pytest.mark.parametrize(
    "shares, expected",
    [
        ({"iso": 0.25, "day_first": 0.25, "month_first": 0.25, "words": 0.25}, "ambiguous"),
        ({"iso": 0.85, "day_first": 0.05, "month_first": 0.05, "words": 0.05}, "%Y-%m-%d"),
        ({"iso": 0.1, "day_first": 0.8, "month_first": 0.05, "words": 0.05}, "ambiguous"),  # a few month-first
        ({"iso": 0.1, "day_first": 0.85, "words": 0.05}, "%d/%m/%Y"),
    ],
    ids=["four-way-mix", "iso-dominates", "day-first-with-some-month-first", "day-first-dominates"],
)
def test_a_mix_of_formats_never_loads_a_date_in_the_wrong_month(shares, expected):
    text, truth, styles = mixed_export(shares)
    if expected == "ambiguous":
        with pytest.raises(AmbiguousTimestampFormat) as raised:
            parse(text, column="Created Date")
        message = str(raised.value)
        assert message.startswith("timestamp column 'Created Date' is ambiguous: values like '")
        assert "under formats ['%d/%m/%Y', '%m/%d/%Y']" in message or "under formats ['%m/%d/%Y', '%d/%m/%Y']" in message
        assert "fit only '%d/%m/%Y'" in message and "fit only '%m/%d/%Y'" in message  # the evidence of both orders
        assert 'Set `timestamp: {column: "Created Date", format: "%' in message
        return
    result = parse(text)
    assert result.format == expected
    dominant = {"%Y-%m-%d": "iso", "%d/%m/%Y": "day_first"}[expected]
    assert result.bad.to_pylist() == list(styles != dominant)  # every other rendering is quarantined
    assert_reads_only_true_dates(result, truth)


def test_the_mappings_format_reads_only_values_that_fit_it():
    text, truth, styles = mixed_export({"iso": 0.25, "day_first": 0.25, "month_first": 0.25, "words": 0.25})
    result = parse(text, "%d/%m/%Y")
    bad = np.array(result.bad.to_pylist())
    assert result.format == "%d/%m/%Y" and not bad[styles == "day_first"].any()
    assert bad[np.isin(styles, ["iso", "words"])].all()
    # The mapping vouches for the order: month-first values fit it only when their day could be a month.
    month_first_day = np.array([d.day for d in truth])[styles == "month_first"]
    assert (bad[styles == "month_first"] == (month_first_day > 12)).all()
    [(reason, rows)] = result.reasons
    assert reason == "timestamp 'created' does not fit format '%d/%m/%Y'" and rows.equals(result.bad)


def test_a_mappings_format_that_is_not_strptime_is_an_error():
    with pytest.raises(UnparseableTimestamps, match=r"timestamp.format '%Q' for column 'created' is not a strptime format"):
        parse(["2024-03-05"], "%Q")


@pytest.mark.parametrize(
    "fmt",
    ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S.%f", "%d.%m.%Y", "%Y/%m/%d", "%d %B %Y", "%b %d, %Y"],
)
def test_a_clean_column_infers_its_format_with_nothing_bad(fmt):
    instants = pd.Timestamp("1990-01-01") + pd.to_timedelta(np.random.default_rng(5).integers(0, 10**15, 500), unit="us")
    text = [d.strftime(fmt) for d in instants]
    truth = [datetime.strptime(t, fmt) for t in text]  # the standard library's reading of the same text
    result = parse([t.lower() for t in text] + [None])
    assert result.format == fmt and not any(result.bad.to_pylist())
    assert result.values.to_pylist()[-1] is None  # missing is not bad: conform reports it on its own
    assert_reads_only_true_dates(result, truth)


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%m/%d/%y", "%m/%d/%Y %I:%M %p"])
def test_one_value_past_the_twelfth_settles_day_and_month(fmt):
    text = [datetime(2024, month, day, 21, 30).strftime(fmt) for month, day in [(1, 1), (1, 5), (2, 12), (3, 7), (3, 25)]]
    truth = [datetime.strptime(t, fmt) for t in text]
    result = parse([t.lower() for t in text])
    assert result.format == fmt and not any(result.bad.to_pylist())
    assert_reads_only_true_dates(result, truth)


def test_day_and_month_both_at_most_twelve_is_ambiguous_not_guessed():
    with pytest.raises(AmbiguousTimestampFormat) as raised:
        parse(["05/03/2024", "04/06/2024", "01/02/2024", "11/12/2024"])
    message = str(raised.value)
    assert message.startswith("timestamp column 'created' is ambiguous: values like '05/03/2024', '04/06/2024', '01/02/2024' read")
    assert "['%d/%m/%Y', '%m/%d/%Y']" in message and 'format: "%d/%m/%Y"' in message


def test_same_day_and_month_reads_one_date_whatever_the_order():
    assert parse(["05/05/2024", "07/07/2023"]).values.to_pylist() == [datetime(2024, 5, 5), datetime(2023, 7, 7)]


def test_a_column_mostly_not_dates_is_unparseable_naming_column_and_values():
    with pytest.raises(UnparseableTimestamps) as raised:
        parse(["soon", "2024-03-05", "later", "n/a", "2024-03-06"], column="Close")
    message = str(raised.value)
    assert "'Close'" in message and "more than half of its 5 values" in message and "'%Y-%m-%d', reads 2" in message
    assert "values like 'soon', 'later', 'n/a'" in message
    with pytest.raises(UnparseableTimestamps, match="none of the known formats reads any"):
        parse(["soon", "later"])


def test_a_mostly_clean_column_marks_the_rest_bad_without_raising():
    result = parse(["2024-03-05", "2024-03-06", "soon", "2024-03-07"])
    assert result.format == "%Y-%m-%d" and result.bad.to_pylist() == [False, False, True, False]


def test_offsets_are_converted_to_utc():
    result = parse(["2024-03-05t10:00:00z", "2024-03-05t10:00:00+01:00", "2024-03-05t23:30:00-0230", None])
    assert result.format == "%Y-%m-%dT%H:%M:%S%z" and len(result.reasons) == 1
    assert result.values.type == pa.timestamp("us")  # naive: UTC
    assert result.values.to_pylist() == [datetime(2024, 3, 5, 10), datetime(2024, 3, 5, 9), datetime(2024, 3, 6, 2), None]
    declared = parse(["2024-03-05t10:00:00z", "2024-03-05t10:00:00"], "%Y-%m-%dT%H:%M:%S%z")
    assert declared.values.to_pylist() == [datetime(2024, 3, 5, 10), None] and declared.bad.to_pylist() == [False, True]


def test_naive_values_in_a_column_with_offsets_are_bad_and_say_why():
    result = parse(["2024-03-05 10:00:00+00:00", "2024-03-05 11:00:00", "2024-03-05 12:00:00", "garbage"])
    assert result.format == "%Y-%m-%d %H:%M:%S%z"
    assert result.values.to_pylist() == [datetime(2024, 3, 5, 10), None, None, None]
    reasons = {reason: rows.to_pylist() for reason, rows in result.reasons}
    assert reasons == {
        "timestamp 'created' does not fit format '%Y-%m-%d %H:%M:%S%z'": [False, False, False, True],
        "timestamp 'created' has no time zone while other values in the column do (format '%Y-%m-%d %H:%M:%S%z')": [False, True, True, False],
    }
    assert result.bad.to_pylist() == [False, True, True, True]


@pytest.mark.parametrize("fmt", [None, "%Y-%m-%d %H:%M:%S.%f"])
def test_sub_microsecond_digits_are_cut_not_rounded(fmt):
    result = parse(["2024-03-05 23:59:59.999999999", "2024-03-05 10:00:00.1234567", "2024-03-05 10:00:00.5"], fmt)
    assert result.format == "%Y-%m-%d %H:%M:%S.%f" and not any(result.bad.to_pylist())
    assert result.values.to_pylist() == [datetime(2024, 3, 5, 23, 59, 59, 999999), datetime(2024, 3, 5, 10, 0, 0, 123456), datetime(2024, 3, 5, 10, 0, 0, 500000)]


def test_chunked_and_empty_columns():
    chunked = pa.chunked_array([pa.array(["2024-03-05"]), pa.array([None, "2024-03-06"], pa.string())])
    assert parse_timestamps(chunked, None, "c").values.to_pylist() == [datetime(2024, 3, 5), None, datetime(2024, 3, 6)]
    empty = parse([None, None])
    assert empty.format is None and empty.bad.to_pylist() == [False, False]


def test_errors_are_the_platforms_user_errors():
    assert issubclass(AmbiguousTimestampFormat, LeadScoringError) and issubclass(UnparseableTimestamps, LeadScoringError)
    assert issubclass(NumberFormatError, LeadScoringError)


def test_a_million_values_parse_in_seconds(capsys):
    rng = np.random.default_rng(1)
    instants = np.datetime64("2024-01-01T00:00:00") + rng.integers(0, 365 * 86400, 1_000_000).astype("timedelta64[s]")
    iso = np.datetime_as_string(instants, unit="s")
    day_first_dates = pd.Series(pd.DatetimeIndex(instants[:1000]).strftime("%d/%m/%Y")).to_numpy()[rng.integers(0, 1000, 1_000_000)]
    day_first_times = pd.DatetimeIndex(instants).strftime("%d/%m/%Y %H:%M:%S").to_numpy()
    columns = [
        ("ISO datetimes, all distinct", iso, None),
        ("day-first dates, 1,000 distinct", day_first_dates, None),
        ("day-first datetimes, all distinct", day_first_times, None),
        ("the same with the mapping's format", day_first_times, "%d/%m/%Y %H:%M:%S"),
    ]
    timings = []
    for name, values, fmt in columns:
        started = time.perf_counter()
        result = parse_timestamps(pa.array(values, pa.string()), fmt, "created")
        timings.append(f"{name}: {time.perf_counter() - started:.2f}s ({result.format})")
        assert pc.sum(result.bad).as_py() == 0
    with capsys.disabled():
        print("\nparse_timestamps on 1,000,000 values: " + "; ".join(timings))


def test_without_a_format_only_plain_numbers_read():
    result = parse_numbers(pa.array(["12", "-1.5", ".5", "1e3", "1,674", "$5", "1e999", "", None]), None)
    assert result.values.to_pylist() == [12.0, -1.5, 0.5, 1000.0, None, None, None, None, None]
    assert result.bad.to_pylist() == [False] * 4 + [True] * 4 + [False]  # 1e999 would load as infinity


def test_a_declared_number_format_reads_separators_and_currency_and_nothing_else():
    us = NumberFormat(thousands=",", decimal=".", currency=("$", "€", "EUR"))
    values = ["1,674", "$1,674.50", "-$5", "$-5", "12,345,678", "5 €", "3 eur", "1674", "1,2", "1,2345", "$5$", "-$-5", "(1,674)", "$", None]
    result = parse_numbers(pa.array(values), us)
    assert result.values.to_pylist() == [1674, 1674.5, -5, -5, 12345678, 5, 3, 1674] + [None] * 7
    assert result.bad.to_pylist() == [False] * 8 + [True] * 6 + [False]  # accounting negatives are not read
    european = NumberFormat(thousands=" ", decimal=",")
    values = ["-1 234,5", "1\u00a0234,5", "1\u202f234", "12,5", "1.5", "1 23"]
    assert parse_numbers(pa.chunked_array([pa.array(values)]), european).values.to_pylist() == [-1234.5, 1234.5, 1234, 12.5, None, None]
    swiss = NumberFormat(thousands="'")
    assert parse_numbers(pa.array(["1'674.5"]), swiss).values.to_pylist() == [1674.5]


def test_number_format_from_the_mappings_yaml():
    raw = yaml.safe_load('number_format: {thousands: ",", decimal: ".", currency: ["$", "€"]}')["number_format"]
    assert NumberFormat.from_mapping(raw) == NumberFormat(",", ".", ("$", "€"))
    assert NumberFormat.from_mapping({"currency": "£"}) == NumberFormat(currency=("£",))
    assert NumberFormat.from_mapping({}) == NumberFormat()


@pytest.mark.parametrize(
    "raw, expected",
    [
        ({"thousands": ";"}, "m.yml: number_format.thousands is ';'; expected one of"),
        ({"thousands": None}, "number_format.thousands is None"),
        ({"decimal": " "}, "number_format.decimal is ' '; expected one of ('.', ',')"),
        ({"thousands": ".", "decimal": "."}, "number_format.thousands and number_format.decimal are both '.'; they must differ"),
        ({"thousands": ",", "decimal": ","}, "both ','"),
        ({"currency": ["1$"]}, "number_format.currency is ['1$']; expected a list of symbols"),
        ({"currency": [""]}, "number_format.currency"),
        ({"currency": {"$": 1}}, "number_format.currency"),
        ({"thousand": ","}, "m.yml: number_format must be a mapping with keys thousands, decimal, currency"),
        ([","], "number_format must be a mapping"),
    ],
)
def test_number_format_rejects_what_it_cannot_apply(raw, expected):
    with pytest.raises(NumberFormatError) as raised:
        NumberFormat.from_mapping(raw, "m.yml")
    assert expected in str(raised.value)


def test_a_categorical_column_numeric_but_for_separators_is_reported():
    rng = np.random.default_rng(3)
    values = [f"{v:,}" if i % 33 == 0 else f"{v / 10}" for i, v in enumerate(rng.integers(1000, 5000, 2000))]
    finding = numeric_with_separators(pa.chunked_array([pa.array(values + [None])]))
    assert finding.number_format == NumberFormat(thousands=",") and finding.needing == 61
    assert finding.message("Total Visits") == (
        f"column 'Total Visits' is numeric except for 61 values like {', '.join(repr(v) for v in finding.examples)}: "
        'set types: {"Total Visits": numeric} and number_format: {thousands: ","} in the mapping'
    )
    assert len(finding.examples) == 3 and all("," in v for v in finding.examples)
    assert parse_numbers(pa.array(values), finding.number_format).bad.to_pylist() == [False] * 2000


def test_a_separator_that_could_be_a_decimal_mark_says_so():
    finding = numeric_with_separators(pa.array(["1,674"] * 3 + ["12"] * 97))
    assert finding.message("Visits") == (
        "column 'Visits' is numeric except for 3 values like '1,674': set types: {\"Visits\": numeric} and "
        'number_format: {thousands: ","} in the mapping (or {thousands: ".", decimal: ","}, which reads them as '
        "other numbers: check which the export uses)"
    )


def test_currency_symbols_are_found_and_suggested():
    finding = numeric_with_separators(pa.array(["$1,674.50", "€12", "-$3"] + ["12.5"] * 97))
    assert finding.number_format == NumberFormat(",", ".", ("$", "€")) and finding.needing == 3
    assert 'number_format: {thousands: ",", currency: ["$", "€"]}' in finding.message("Spend")


@pytest.mark.parametrize(
    "values",
    [
        ["google", "referral", "1,674"],  # categories
        ["12", "13.5", "-1"],  # already numeric: nothing to report
        ["1,674"] * 5 + ["12"] * 90 + ["n/a"] * 5,  # 5% not numbers at all
        [],
    ],
    ids=["categories", "plain-numbers", "too-many-non-numbers", "empty"],
)
def test_no_separator_finding_for_columns_that_are_not_numbers_with_separators(values):
    assert numeric_with_separators(pa.array(values, pa.string())) is None


def test_parse_numbers_never_raises_on_any_text():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    formats = st.sampled_from([None, NumberFormat(",", "."), NumberFormat(" ", ","), NumberFormat(".", ",", ("$", "eur"))])
    text = st.one_of(st.none(), st.text(), st.text(alphabet="0123456789,. '$€-+eE()\u00a0ur"))

    @hypothesis.settings(max_examples=300, deadline=None, database=None)
    @hypothesis.given(st.lists(text, max_size=20), formats)
    def check(values, number_format):
        result = parse_numbers(pa.array(values, pa.string()), number_format)
        assert len(result.values) == len(result.bad) == len(values)
        numeric_with_separators(pa.array(values, pa.string()))

    check()


def test_parse_timestamps_raises_only_its_two_errors_on_any_text():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    renderings = st.builds(lambda d, fmt: d.strftime(fmt), st.datetimes(), st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y %H:%M", "%B %d %Y", "%Y-%m-%dT%H:%M:%S.%f+01:00"]))
    text = st.one_of(st.none(), renderings, st.text(), st.text(alphabet="0123456789/-.: TZz+apmarch"))

    @hypothesis.settings(max_examples=300, deadline=None, database=None)
    @hypothesis.given(st.lists(text, max_size=20), st.sampled_from([None, "%Y-%m-%d", "%d/%m/%Y %H:%M%z"]))
    def check(values, fmt):
        try:
            result = parse_timestamps(pa.array(values, pa.string()), fmt, "c")
        except (AmbiguousTimestampFormat, UnparseableTimestamps):
            return
        for text, value, bad in zip(values, result.values.to_pylist(), result.bad.to_pylist()):
            assert bad == (text is not None and value is None)

    check()
