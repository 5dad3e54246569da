"""A mapped CRM source: the mapping's checks, the conforming of deliveries, and the landing's all-or-nothing guards.

Each guard both ways: it fires on the bad delivery or mapping and stays quiet on the good one.
"""

import csv
import dataclasses
import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lead_scoring.crm.mapping import load_source_mapping
from lead_scoring.flat.mapping import MappingError
from lead_scoring.settings import Settings
from lead_scoring.simulator import landing
from lead_scoring.steps.crm_landing import land_source
from lead_scoring.crm.deliveries import DeliveryError
from tests.hostile import CORPUS, PLANTED, safe_file_name

MAPPING = """
name: tiny_crm
tables:
  leads:
    from: {folder: contacts}
    columns: {lead_id: Contact, created_at: Created, lead_source: Source, seniority: Level}
    values:
      lead_source: {Word of mouth: referral}
  activities:
    from: {folder: events}
    columns: {lead_id: Contact, occurred_at: When, activity_type: What}
    types: {Opened an email: email_open, Asked for a demo: demo_requested}
  conversions:
    from: {folder: deals}
    columns: {lead_id: Contact, converted_at: Closed, deal_amount: Value}
    stage: {column: Stage, won: [Won]}
"""


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _source(tmp_path: Path, mapping: str = MAPPING) -> Path:
    root = tmp_path / "export"
    _write(root / "contacts", "contacts_2026-03-01.csv",
           "Contact,Created,Source,Level\nc1,2026-03-01T09:30:00+02:00,Word of mouth,C-Level\nc2,2026-03-01T10:00:00Z,Organic Search,Senior\n"
           "c3,2026-03-01T11:00:00-05:00,Billboard,Junior\n")
    _write(root / "contacts", "contacts_2026-03-02.csv", "Contact,Created,Source,Level\nc4,2026-03-02T08:00:00Z,Paid Search,VP\n")
    _write(root / "events", "events_2026-03-01.csv",
           "Contact,When,What\nc1,2026-03-01T10:00:00+02:00,Opened an email\nc1,2026-03-01T10:00:00+02:00,Opened an email\n"
           "c2,2026-03-01T12:00:00Z,Visited the booth\n")
    _write(root / "events", "events_2026-03-02.csv", "Contact,When,What\nc1,2026-03-02T09:00:00Z,Asked for a demo\n")
    _write(root / "deals", "deals_2026-03-02.csv", "Contact,Stage,Closed,Value\nc1,Proposal,,\nc1,Won,2026-03-02T15:00:00Z,\"1200.50\"\n")
    (root / "mapping.yml").write_text(mapping)
    return root / "mapping.yml"


def _settings(tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    return dataclasses.replace(Settings.from_env(), home=home, warehouse_path=home / "warehouse.duckdb")


def _landed(settings: Settings, table: str, day: str) -> pa.Table:
    return pq.read_table(settings.landing_dir / table / f"{day}.parquet")


def test_a_mapped_source_lands_in_the_raw_contract_with_what_it_could_not_map_counted(tmp_path):
    settings = _settings(tmp_path)
    report = land_source(settings, _source(tmp_path))
    assert report.landed_days == [date(2026, 3, 1), date(2026, 3, 2)] and report.rows["leads"] == 4
    leads = _landed(settings, "leads", "2026-03-01").to_pylist()
    assert [r["created_at"].isoformat() for r in leads] == ["2026-03-01T07:30:00", "2026-03-01T10:00:00", "2026-03-01T16:00:00"]  # UTC
    assert [r["lead_source"] for r in leads] == ["referral", "organic_search", None]  # mapped, by its own name, outside
    assert [r["seniority"] for r in leads] == [None, "senior", "junior"]  # `C-Level` is not `c_level` but for case: unmapped
    activities = _landed(settings, "activities", "2026-03-01").to_pylist()
    assert [r["activity_type"] for r in activities] == ["email_open", "email_open", "other"]
    assert len({r["activity_id"] for r in activities}) == 3  # derived ids: two identical events stay two
    deals = _landed(settings, "conversions", "2026-03-02").to_pylist()
    assert deals == [{"lead_id": "c1", "converted_at": deals[0]["converted_at"], "deal_amount": 1200.5}]  # the Proposal row is no conversion
    assert _landed(settings, "consents", "2026-03-01").num_rows == 0  # not mapped: lands empty every day
    assert not (settings.landing_dir / "conversions" / "2026-03-01.parquet").exists()  # no deals file that day: not landed
    assert report.complete_days == [date(2026, 3, 2)]  # the only day every table delivered
    said = report.render()
    assert "{'Billboard': 1}" in said and "'Level'" in said and "{'Visited the booth': 1}" in said and "1 deal rows in stages" in said
    assert "waiting     2026-03-01: not every table has delivered yet" in said
    again = land_source(settings, _source(tmp_path))
    assert again.landed_days == []  # landed once: a second landing finds nothing new


def test_each_new_daily_file_is_a_new_landing_day_and_a_day_runs_once_every_table_delivered_it(tmp_path):
    from lead_scoring.monitoring.freshness import source_freshness

    settings, mapping = _settings(tmp_path), _source(tmp_path)
    land_source(settings, mapping)
    _write(mapping.parent / "contacts", "contacts_2026-03-03.csv", "Contact,Created,Source,Level\nc5,2026-03-03T08:00:00Z,Webinar,Mid\n")
    report = land_source(settings, mapping)
    assert report.landed_days == [date(2026, 3, 3)] and report.rows["leads"] == 1 and report.complete_days == []
    stale = {f.source for f in source_freshness(settings.landing_dir, date(2026, 3, 3)) if f.severity == "error"}
    assert stale == {"activities", "conversions"}  # the tables that have not delivered 2026-03-03 yet
    _write(mapping.parent / "events", "events_2026-03-03.csv", "Contact,When,What\nc5,2026-03-03T09:00:00Z,Opened an email\n")
    _write(mapping.parent / "deals", "deals_2026-03-03.csv", "Contact,Stage,Closed,Value\n")
    later = land_source(settings, mapping)  # the late tables' files of a day already landed for contacts
    assert later.landed_days == [date(2026, 3, 3)] and later.complete_days == [date(2026, 3, 3)]
    assert not [f for f in source_freshness(settings.landing_dir, date(2026, 3, 3)) if f.severity == "error"]
    assert landing.read_manifest(settings.landing_dir)["last_day"] == "2026-03-03"


@pytest.mark.parametrize("change, message", [
    (lambda root: _write(root / "contacts", "contacts_2026-03-01.csv", "Contact,Created,Source,Level\nc1,2026-03-01T09:30:00Z,x,y\n"),
     "changed since it landed on 2026-03-01"),
    (lambda root: _write(root / "events", "events_2026-02-27.csv", "Contact,When,What\nc1,2026-02-27T09:00:00Z,Opened an email\n"),
     "landing day 2026-02-27 is not after the last landed day 2026-03-02 of activities"),
    (lambda root: _write(root / "contacts", "contacts_2026-03-05.csv", "Contact,Made,Source,Level\nc9,2026-03-05T08:00:00Z,x,y\n"),
     "column(s) ['Created'] named in tables.leads of the mapping are not among its 4 columns"),
    (lambda root: _write(root / "events", "events_latest.csv", "Contact,When,What\n"), "must hold its landing day once, as YYYY-MM-DD"),
])
def test_a_bad_delivery_stops_the_landing_and_changes_nothing(tmp_path, change, message):
    settings, mapping = _settings(tmp_path), _source(tmp_path)
    land_source(settings, mapping)
    _write(mapping.parent / "events", "events_2026-03-04.csv", "Contact,When,What\nc1,2026-03-04T09:00:00Z,Opened an email\n")
    before = {p: p.read_bytes() for p in settings.landing_dir.rglob("*") if p.is_file()}
    change(mapping.parent)
    with pytest.raises(DeliveryError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        land_source(settings, mapping)
    assert {p: p.read_bytes() for p in settings.landing_dir.rglob("*") if p.is_file()} == before  # the good new day did not land either


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.replace("  conversions:", "  opportunities:"), "tables ['opportunities'] are not product tables"),
    (lambda m: m.replace("lead_source: Source", "source_of_lead: Source"), "['source_of_lead'] are not columns of the product's leads table"),
    (lambda m: m.replace("occurred_at: When, ", ""), "must map ['occurred_at']"),
    (lambda m: m.replace("Asked for a demo: demo_requested", "Asked for a demo: demo"), "maps to ['demo'], which are not activity groups"),
    (lambda m: m.replace("stage: {column: Stage, won: [Won]}", "stage: {column: Stage}"), "stage needs `column` and `won`"),
    (lambda m: m.replace("from: {folder: deals}", "from: {table: 'crm.deals; drop table raw.leads', landed_at: synced}"),
     "expected schema.table"),
    (lambda m: m.replace("from: {folder: deals}", "from: {table: crm.deals}"), "landed_at is required with a table"),
    (lambda m: m.replace("    stage: {column: Stage, won: [Won]}\n", "    stage: {column: Stage, won: [Won]}\n    colour: red\n"), "unknown keys ['colour']"),
])
def test_a_bad_mapping_is_refused_naming_its_key(tmp_path, edit, message):
    with pytest.raises(MappingError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_source_mapping(_source(tmp_path, edit(MAPPING)))
    assert load_source_mapping(_source(tmp_path)).tables["conversions"].stage.won == ("Won",)  # quiet on the good one


def test_conversions_kept_as_a_status_on_the_leads_table_land_once(tmp_path):
    mapping = MAPPING.split("  conversions:")[0].replace(
        "    values:\n", "    conversion: {status: Lifecycle, converted: [Customer], at: Became customer}\n    values:\n", 1)
    mapping = mapping.replace("columns: {lead_id: Contact, created_at: Created,", "columns: {lead_id: Contact, created_at: Created,")
    path = _source(tmp_path, mapping)
    header = "Contact,Created,Source,Level,Lifecycle,Became customer\n"
    _write(path.parent / "contacts", "contacts_2026-03-01.csv", header + "c1,2026-03-01T09:30:00Z,Webinar,Senior,Lead,\n")
    _write(path.parent / "contacts", "contacts_2026-03-02.csv", header + "c1,2026-03-01T09:30:00Z,Webinar,Senior,Customer,2026-03-02T10:00:00Z\n")
    settings = _settings(tmp_path)
    land_source(settings, path)
    _write(path.parent / "contacts", "contacts_2026-03-03.csv", header + "c1,2026-03-01T09:30:00Z,Webinar,Senior,Customer,2026-03-02T10:00:00Z\n")
    land_source(settings, path)
    conversions = [_landed(settings, "conversions", f"2026-03-0{d}").num_rows for d in (1, 2, 3)]
    assert conversions == [0, 1, 0]  # the snapshot repeats the status: the conversion lands the first day it shows


def test_hostile_headers_labels_and_file_names_land_as_data(tmp_path):
    """The corpus as source column names, category labels, activity types and file names: nothing runs, nothing is planted."""
    settings, root = _settings(tmp_path), tmp_path / "export"
    entries = [e for e in CORPUS if "\n" not in e and "\r" not in e and "\x00" not in e and e.strip()][:40]
    id_column, when = entries[0], entries[1]
    for folder, header, row in (("contacts", [id_column, when, "src"], ["c1", "2026-03-01T09:00:00Z", entries[3]]),
                                ("events", [id_column, when, "kind"], ["c1", "2026-03-01T09:00:00Z", entries[4]]),
                                ("deals", [id_column, when], ["c1", "2026-03-01T12:00:00Z"])):
        (root / folder).mkdir(parents=True, exist_ok=True)
        with open(root / folder / safe_file_name(f"{entries[5]} 2026-03-01", ".csv"), "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
            writer.writerow(header)
            writer.writerow(row)
    mapping = {"name": "hostile", "tables": {
        "leads": {"from": {"folder": "contacts"}, "columns": {"lead_id": id_column, "created_at": when, "lead_source": "src"},
                  "values": {"lead_source": {entries[6]: "referral"}}},
        "activities": {"from": {"folder": "events"}, "columns": {"lead_id": id_column, "occurred_at": when, "activity_type": "kind"},
                       "types": {entries[7]: "page_view"}},
        "conversions": {"from": {"folder": "deals"}, "columns": {"lead_id": id_column, "converted_at": when}}}}
    (root / "mapping.yml").write_text(json.dumps(mapping))  # JSON is YAML: every entry quoted exactly
    report = land_source(settings, root / "mapping.yml")
    assert report.landed_days == [date(2026, 3, 1)]
    leads = _landed(settings, "leads", "2026-03-01").to_pylist()
    assert leads[0]["lead_source"] is None and _landed(settings, "activities", "2026-03-01").column("activity_type").to_pylist() == ["other"]
    assert not any(PLANTED in p.name for p in tmp_path.rglob("*"))


def test_tables_synced_into_the_warehouse_land_by_their_sync_stamp(tmp_path):
    """A sync tool's tables: each stamp's date is a landing day; a table without changed rows that day lands empty."""
    from datetime import datetime

    from lead_scoring.warehouse import Replacement

    settings = _settings(tmp_path)
    settings.home.mkdir(parents=True)
    stamp = lambda day: datetime.fromisoformat(f"{day}T23:30:00")
    leads = pa.table({"Id": ["c1", "c2"], "CreatedDate": ["2026-03-01T09:00:00-05:00", "2026-03-02T09:00:00-05:00"],
                      "synced": pa.array([stamp("2026-03-01"), stamp("2026-03-02")], pa.timestamp("us"))})
    tasks = pa.table({"Id": ["t1"], "WhoId": ["c1"], "When": ["2026-03-01T10:00:00Z"], "Type": ["Web Visit"],
                      "synced": pa.array([stamp("2026-03-01")], pa.timestamp("us"))})
    deals = pa.table({"ContactId": ["c1"], "Stage": ["Closed Won"], "CloseDate": ["2026-03-02T12:00:00Z"],
                      "synced": pa.array([stamp("2026-03-02")], pa.timestamp("us"))})
    warehouse = settings.warehouse()
    warehouse.replace([Replacement.whole("crm_sync.lead", leads), Replacement.whole("crm_sync.task", tasks),
                       Replacement.whole("crm_sync.opportunity", deals)])
    mapping = tmp_path / "sync.yml"
    mapping.write_text("""
name: synced
tables:
  leads: {from: {table: crm_sync.lead, landed_at: synced}, columns: {lead_id: Id, created_at: CreatedDate}}
  activities: {from: {table: crm_sync.task, landed_at: synced}, columns: {activity_id: Id, lead_id: WhoId, occurred_at: When, activity_type: Type},
               types: {Web Visit: page_view}}
  conversions: {from: {table: crm_sync.opportunity, landed_at: synced}, columns: {lead_id: ContactId, converted_at: CloseDate},
                stage: {column: Stage, won: [Closed Won]}}
""")
    first = land_source(settings, mapping)
    assert first.landed_days == first.complete_days == [date(2026, 3, 1), date(2026, 3, 2)]
    assert _landed(settings, "activities", "2026-03-02").num_rows == 0 and _landed(settings, "conversions", "2026-03-01").num_rows == 0
    more = pa.table({"Id": ["c3"], "CreatedDate": ["2026-03-03T09:00:00Z"], "synced": pa.array([stamp("2026-03-03")], pa.timestamp("us"))})
    warehouse.replace([Replacement.whole("crm_sync.lead", pa.concat_tables([leads, more]))])
    second = land_source(settings, mapping)  # only the leads changed: the other tables land 2026-03-03 empty
    assert second.complete_days == [date(2026, 3, 3)] and second.rows["leads"] == 1 and second.rows["activities"] == 0
    with pytest.raises(DeliveryError, match="has no column 'synced'"):
        warehouse.replace([Replacement.whole("crm_sync.task", tasks.drop_columns(["synced"]))])
        land_source(settings, mapping)


def test_a_stage_matches_but_for_case_and_a_long_label_is_quoted_short(tmp_path):
    settings, mapping = _settings(tmp_path), _source(tmp_path)
    _write(mapping.parent / "deals", "deals_2026-03-02.csv", "Contact,Stage,Closed,Value\nc1,  WON ,2026-03-02T15:00:00Z,1\nc2,Won't,,\n")
    _write(mapping.parent / "contacts", "contacts_2026-03-02.csv", "Contact,Created,Source,Level\nc4,2026-03-02T08:00:00Z," + "x" * 300 + ",VP\n")
    report = land_source(settings, mapping)
    assert _landed(settings, "conversions", "2026-03-02").column("lead_id").to_pylist() == ["c1"]
    said = report.render()
    assert "x" * 57 + "..." in said and "x" * 61 not in said
