"""The split keeps each lead in one set, puts the latest period in test, and the guard sees overlap."""

import numpy as np
import pandas as pd
import pytest

from lead_scoring.ml import dataset


def _snapshots(n_leads=300, seed=0):
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90, n_leads), unit="D")
    rows = []
    for i, c in enumerate(created):
        for age in (1, 8, 15):
            rows.append({"lead_id": f"L{i}", "lead_created_date": c, "as_of_date": c + pd.Timedelta(days=age), "f": rng.random()})
    return pd.DataFrame(rows)


def test_no_lead_in_two_splits_and_test_is_latest():
    frame = _snapshots()
    plan = dataset.plan_time_split(frame["lead_created_date"])
    frame["split"] = dataset.assign_splits(frame, plan)
    assert dataset.split_overlap(frame, ["f"])["leads_in_several_splits"] == []
    assert frame.loc[frame.split == "train", "lead_created_date"].max() < frame.loc[frame.split == "test", "lead_created_date"].min()
    shares = frame.split.value_counts(normalize=True)
    assert 0.05 < shares["test"] < 0.30 and 0.05 < shares["validation"] < 0.30


def test_overlap_guard_fires_on_a_shared_lead_and_a_shared_row():
    frame = _snapshots()
    frame["split"] = dataset.assign_splits(frame, dataset.plan_time_split(frame["lead_created_date"]))
    leaked = frame[frame.split == "train"].head(1).assign(split="test")
    found = dataset.split_overlap(pd.concat([frame, leaked]), ["f"])
    assert found["leads_in_several_splits"] == [leaked.lead_id.iloc[0]]
    assert found["feature_rows_in_several_splits"] == 1


def test_empty_history_is_a_clear_error():
    with pytest.raises(ValueError, match="label window"):
        dataset.plan_time_split(pd.Series([], dtype="datetime64[ns]"))


def test_rows_repeating_training_features_leave_validation_and_test():
    frame = _snapshots()
    frame["split"] = dataset.assign_splits(frame, dataset.plan_time_split(frame["lead_created_date"]))
    twin = frame[frame.split == "train"].iloc[0]["f"]
    frame.loc[frame[frame.split == "test"].index[:3], "f"] = twin
    kept, dropped = dataset.drop_repeated_rows(frame, ["f"])
    assert dropped == {"train": 0, "validation": 0, "test": 3}
    assert dataset.split_overlap(kept, ["f"])["feature_rows_in_several_splits"] == 0
    assert dataset.split_overlap(frame, ["f"])["feature_rows_in_several_splits"] == 1


def test_split_starts_are_read_from_the_rows_as_split():
    frame = _snapshots()
    plan = dataset.plan_time_split(frame["lead_created_date"])
    frame["split"] = dataset.assign_splits(frame, plan)
    starts = dataset.split_starts(frame)
    assert starts == {"validation_start": str(frame.loc[frame.split == "validation", "lead_created_date"].min().date()),
                      "test_start": str(frame.loc[frame.split == "test", "lead_created_date"].min().date())}
    assert starts["validation_start"] >= plan.as_dict()["validation_start"]


def test_rows_read_in_any_order_come_out_in_one_order():
    frame = _snapshots()
    shuffled = frame.sample(frac=1.0, random_state=3)
    assert not shuffled.reset_index(drop=True).equals(frame)  # the read order really differs
    canonical = dataset.in_canonical_order(frame)
    pd.testing.assert_frame_equal(dataset.in_canonical_order(shuffled), canonical)
    keys = list(zip(canonical.lead_id, canonical.as_of_date.astype(str)))
    assert keys == sorted(keys)


def test_numeric_ids_keep_the_order_of_their_text():
    """Only a key that is neither text nor a date is turned into text to sort, so a flat export's numeric ids
    come out as they always did (by text: 10 before 9), whatever order they were read in."""
    frame = pd.DataFrame({"lead_id": [9, 10, 100, 2], "x": [1, 2, 3, 4]}, index=[7, 3, 5, 1])
    assert dataset.in_canonical_order(frame).lead_id.tolist() == [10, 100, 2, 9]
