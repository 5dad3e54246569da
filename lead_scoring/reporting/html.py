"""The report as one self-contained HTML page: inline CSS, charts as base64 PNG, no external asset."""

from __future__ import annotations

from html import escape

import pandas as pd

from lead_scoring.reporting.model_card import known_limits

STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{margin-bottom:0}h2{border-bottom:2px solid #1b7837;padding-bottom:.2em;margin-top:2em}
.sub{color:#666}.cards{display:flex;gap:1em;flex-wrap:wrap}
.card{flex:1;min-width:170px;border:1px solid #ddd;border-radius:8px;padding:.8em}
.card .n{font-size:1.8em;font-weight:600}.card .l{color:#555;font-size:.9em}
table{border-collapse:collapse;margin:.8em 0;font-size:.92em}th,td{border-bottom:1px solid #e3e3e3;padding:.3em .7em;text-align:left}
th{background:#f4f7f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1em 0}figcaption{color:#555;font-size:.9em}img.chart{max-width:100%}
.note{background:#fff8e1;border-left:4px solid #f1a340;padding:.5em .8em}
.bad{color:#d7301f;font-weight:600}.ok{color:#1b7837}
"""


def number(value, kind: str = "num") -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if kind == "pct":
        return f"{value:.1%}"
    if kind == "x":
        return f"{value:.1f}×" if value >= 1 else f"{value:.2f}×"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.3f}"
    return f"{int(value):,}"


def table(headers: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td class='num'>{c}</td>" if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def note(text: str) -> str:
    return f"<p class='note'>{escape(text)}</p>"


def figure(chart) -> str:
    return (f"<figure><img class='chart' alt='{escape(chart.title)}' src='data:image/png;base64,{chart.png}'>"
            f"<figcaption><b>{escape(chart.title)}.</b> {escape(chart.caption)}</figcaption></figure>")


def _card(value: str, label: str) -> str:
    return f"<div class='card'><div class='n'>{value}</div><div class='l'>{escape(label)}</div></div>"


def headline_section(report) -> str:
    h = report.headline
    cards = [
        _card(number(h.get("leads_scored_week")), "leads scored in the last 7 days"),
        _card(number(h.get("conversion_rate_A"), "pct"), "of grade A leads converted within 30 days"),
        _card(number(h.get("lift_A"), "x"), "grade A converts this many times more often than the average lead"),
        _card(escape(str(h.get("champion_version") or "none")), "model version in production"),
    ]
    parts = ["<section id='headline'><h2>Headline</h2>", f"<div class='cards'>{''.join(cards)}</div>"]
    if report.grade_table is not None:
        rows = [[g.grade, number(g.rows), number(g.converted), number(g.rate, "pct"), number(g.lift, "x")]
                for g in report.grade_table.itertuples()]
        parts.append("<p>Conversion within 30 days by grade, for leads scored at least 30 days ago (matured labels):</p>")
        parts.append(table(["grade", "scored", "converted", "conversion rate", "lift over average"], rows, {1, 2, 3, 4}))
    parts += [report.notes.get("headline", ""), "<h3>What changed since the last report</h3>",
              "<ul>" + "".join(f"<li>{escape(c)}</li>" for c in report.changes) + "</ul></section>"]
    return "".join(parts)


def scores_section(report) -> str:
    parts = ["<section id='scores'><h2>Scores and grades</h2>",
             "<p>Every open lead gets a score from 0 to 100 each day (the model's estimated chance of converting "
             "within 30 days) and a grade: A for the most promising tenth, then B, C and D.</p>"]
    parts += [figure(report.charts[c]) for c in ("score_distribution", "grade_shares") if c in report.charts]
    parts.append(report.notes.get("scores", ""))
    return "".join(parts) + "</section>"


def model_section(report) -> str:
    card = report.data.model
    if card is None:
        return "<section id='model'><h2>Model card</h2>" + note("No model is in production yet: run the `retrain` job.") + "</section>"
    p = card.params
    window = (f"trained on leads created before {p.get('validation_start', '?')}, calibrated on those created from "
              f"{p.get('validation_start', '?')}, tested on those created from {p.get('test_start', '?')} "
              f"({p.get('rows_train', '?')} / {p.get('rows_validation', '?')} / {p.get('rows_test', '?')} snapshots)")
    metric_rows = [[escape(m.label), number(m.model), number(m.baseline), m.against_baseline(), number(m.previous),
                    number(m.bayes), escape(m.meaning)] for m in card.metrics]
    feature_rows = [[f"<code>{escape(f.name)}</code>", escape(f.feature_type), escape(f.description)] for f in card.features]
    links = report.data.links
    return "".join([
        "<section id='model'><h2>Model card</h2>",
        f"<p><b>{escape(card.name)} version {escape(card.version)}</b>, registered {card.registered_at:%Y-%m-%d %H:%M} UTC; "
        f"{escape(window)}.",
        f" <a href='{escape(links['champion_run'])}'>MLflow run</a>." if "champion_run" in links else "",
        "</p>",
        f"<p>Why it is in production: {escape(card.promotion_reasons)}.</p>" if card.promotion_reasons else "",
        "<h3>How good is it?</h3><p>Measured on the test period, the most recent leads the model never saw while "
        "learning. The rules baseline is a simple points system; the best possible figure is what a model knowing "
        "each lead's true chance would reach.</p>",
        table(["measure", "model", "rules baseline", "model vs baseline", f"previous model (v{card.previous_version})" if card.previous_version
               else "previous model", "best possible", "what it means"], metric_rows, {1, 2, 4, 5}),
        f"<h3>Features ({len(card.features)})</h3><p>What the model looks at, as documented in the dbt project",
        f" (<a href='{escape(links['feature_catalog'])}'>feature catalog</a>)" if "feature_catalog" in links else "",
        ":</p>", table(["feature", "type", "description"], feature_rows),
        "<h3>Known limits</h3><ul>" + "".join(f"<li>{escape(t)}</li>" for t in known_limits(card)) + "</ul></section>",
    ])


def performance_section(report) -> str:
    parts = ["<section id='performance'><h2>Performance on real outcomes</h2>",
             "<p>How the scores held up once we knew which leads converted. ROC AUC is the chance that a lead who "
             "converted had a higher score than one who did not (0.5 is a coin toss, 1 is perfect). Calibration "
             "compares the predicted chance with what actually happened.</p>"]
    parts += [figure(report.charts[c]) for c in ("conversion_by_grade", "performance", "calibration") if c in report.charts]
    if report.headline.get("calibration_error") is not None:
        parts.append(f"<p>On average predicted and actual conversion rates differ by "
                     f"{report.headline['calibration_error'] * 100:.1f} percentage points.</p>")
    parts.append(report.notes.get("performance", ""))
    return "".join(parts) + "</section>"


def quality_section(report) -> str:
    data, parts = report.data, ["<section id='quality'><h2>Drift and data quality</h2>"]
    parts.append(report.notes.get("monitoring", ""))
    parts += [figure(report.charts[c]) for c in ("prediction_drift", "feature_drift") if c in report.charts]
    for title, frame, columns in report.monitoring_tables:
        parts.append(f"<h3>{escape(title)}</h3>")
        rows = [[escape(str(v)) if not isinstance(v, float) else number(v) for v in r] for r in frame[columns].itertuples(index=False)]
        parts.append(table(columns, rows) if rows else "<p class='ok'>All fine.</p>")
    stats = data.quality.load_stats
    parts.append("<h3>Rows loaded and quarantined in the last 7 landing days</h3>")
    if stats is None or stats.empty:
        parts.append(note("No load statistics in the warehouse yet."))
    else:
        rows = [[r.source, number(r.landed), number(r.loaded), number(r.quarantined),
                 number(r.quarantined / r.landed if r.landed else 0.0, "pct")] for r in stats.itertuples()]
        parts.append(table(["source", "landed", "loaded", "quarantined", "quarantined share"], rows, {1, 2, 3, 4}))
    parts.append("<h3>Checks that failed</h3>")
    if data.quality.checks is None:
        parts.append(note("Check results are read from the Dagster instance; this report was generated outside Dagster."))
    elif data.quality.failed_checks:
        rows = [[escape(c.asset), escape(c.check), f"<span class='bad'>{escape(c.severity)}</span>", escape(c.description),
                 f"{c.at:%Y-%m-%d %H:%M}" if c.at else ""] for c in data.quality.failed_checks]
        parts.append(table(["asset", "check", "severity", "what it found", "when"], rows))
    elif data.quality.checks:
        passed = len(data.quality.checks) - len(data.quality.warned_checks)
        parts.append(f"<p class='ok'>All {passed} checks that can fail passed on their latest run.</p>")
    else:
        parts.append(note("No check has run yet."))
    if data.quality.warned_checks:
        parts.append("<h3>Warnings</h3>")
        rows = [[escape(c.asset), escape(c.check), escape(c.description), f"{c.at:%Y-%m-%d %H:%M}" if c.at else ""]
                for c in data.quality.warned_checks]
        parts.append(table(["asset", "check", "note", "when"], rows))
    return "".join(parts) + "</section>"


def render(report) -> str:
    data, links = report.data, report.data.links
    latest = data.scores.latest
    link_items = "".join(f"<li><a href='{escape(url)}'>{escape(label)}</a></li>" for label, url in report.link_labels())
    return "".join([
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Lead scoring report {latest or ''}</title><style>{STYLE}</style></head><body>",
        "<h1>Lead scoring: weekly report</h1>",
        f"<p class='sub'>Scores as of {latest or 'no scores yet'} · generated {data.generated_at:%Y-%m-%d %H:%M} UTC</p>",
        headline_section(report), scores_section(report), model_section(report),
        performance_section(report), quality_section(report),
        f"<section id='links'><h2>Where to look further</h2><ul>{link_items}</ul></section>" if links else "",
        "</body></html>",
    ])
