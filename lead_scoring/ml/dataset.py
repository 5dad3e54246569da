"""The training set: mature snapshots, split by the lead's creation date.

Splitting by creation date keeps every snapshot of a lead in one set and makes
the test set the most recent period, as it will be in production. A source
without creation dates (a flat export with no timestamp column) cannot be split
in time: it gets a seeded random split, stratified by the label, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SPLITS = ("train", "validation", "test")
LABEL = "converted_within_30d"
SPLIT_SEED = 7


@dataclass(frozen=True)
class SplitPlan:
    validation_start: pd.Timestamp
    test_start: pd.Timestamp

    def as_dict(self) -> dict[str, str]:
        return {"validation_start": str(self.validation_start.date()), "test_start": str(self.test_start.date())}

    def assign(self, snapshots: pd.DataFrame) -> pd.Series:
        return assign_splits(snapshots, self)


@dataclass(frozen=True)
class StratifiedSplitPlan:
    """A seeded random split with the label's rate kept in every part, for rows without creation dates."""

    seed: int = SPLIT_SEED
    validation_share: float = 0.15
    test_share: float = 0.15

    def as_dict(self) -> dict[str, str]:
        return {"split_method": "stratified_random", "split_seed": str(self.seed)}

    def assign(self, snapshots: pd.DataFrame) -> pd.Series:
        # Rows in lead-id order first, so the same data gives the same split whatever order it was read in.
        order = np.argsort(snapshots["lead_id"].astype(str).to_numpy(), kind="stable")
        label = snapshots[LABEL].to_numpy()[order]
        rng = np.random.default_rng(self.seed)
        split = np.full(len(snapshots), "train", dtype=object)
        for value in np.unique(label):
            rows = order[np.flatnonzero(label == value)]
            rows = rows[rng.permutation(len(rows))]
            n_test, n_validation = round(len(rows) * self.test_share), round(len(rows) * self.validation_share)
            split[rows[:n_test]] = "test"
            split[rows[n_test : n_test + n_validation]] = "validation"
        return pd.Series(split, index=snapshots.index, name="split")


@dataclass(frozen=True)
class SnapshotSample:
    """Which mature snapshots a training set reads: all of them, or those whose key hashes below a share.

    Sampled by snapshot, not by lead: the refit takes one sample of the training rows, and rows spread over many
    leads carry more than whole histories of few (at 1M leads, sampling 250,000 whole leads cost 0.006 test ROC AUC
    against the Bayes limit). A lead's sampled snapshots still share its creation date, so its split. The hash is
    the first 32 bits of the MD5 of "lead_id/days since 1970", which DuckDB and Postgres compute alike; a snapshot
    kept at one share is kept at every higher one, so a growing history keeps a stable core.
    """

    rows: int  # mature snapshots in the history
    share: float  # of them to keep, 1.0 = all

    HASH_DIGITS = 8

    @classmethod
    def at_most(cls, rows: int, max_rows: int) -> "SnapshotSample":
        return cls(rows, 1.0 if rows <= max_rows else max_rows / rows)

    @property
    def sampled(self) -> bool:
        return self.share < 1.0

    def where(self) -> tuple[str, list[str]]:
        """A SQL condition on ``lead_id`` and ``as_of_date`` (``and ...``, empty when all are kept) and its parameter."""
        if not self.sampled:
            return "", []
        bound = format(int(self.share * 16**self.HASH_DIGITS), f"0{self.HASH_DIGITS}x")
        key = "cast(lead_id as varchar) || '/' || cast(as_of_date - date '1970-01-01' as varchar)"
        # Lowercase hex digits of equal length compare in the same order in any collation.
        return f" and left(md5({key}), {self.HASH_DIGITS}) < ?", [bound]

    def as_dict(self) -> dict[str, float | int]:
        return {"mature_snapshots": self.rows, "snapshot_sample_share": round(self.share, 6)}


def in_canonical_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by lead and snapshot date.

    A warehouse returns a table's rows in no promised order (Postgres and DuckDB
    differ), and the search's sample, the bootstrap and the dedup keep-first all
    depend on row order: sorting here makes the same data give the same model.
    """
    keys = [key for key in ("lead_id", "as_of_date") if key in frame.columns]
    # The order of the keys' texts. A string is its own text and a date's ISO text sorts as the date does, so only
    # other types are turned into text (8.7M rows: 50 s through text, a few seconds by pandas' stable sort).
    as_text = {key: frame[key] if _sorts_as_text(frame[key]) else frame[key].astype(str) for key in keys}
    positions = pd.DataFrame(as_text).reset_index(drop=True)
    order = positions.sort_values(keys, kind="stable").index.to_numpy() if keys else np.arange(len(frame))
    return frame.take(order).reset_index(drop=True)


def _sorts_as_text(values: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(values) or pd.api.types.is_string_dtype(values)


def plan_split(snapshots: pd.DataFrame, seed: int = SPLIT_SEED) -> SplitPlan | StratifiedSplitPlan:
    """In time when the rows have creation dates, else stratified at random with ``seed``."""
    if snapshots["lead_created_date"].notna().any():
        return plan_time_split(snapshots["lead_created_date"])
    return StratifiedSplitPlan(seed)


def plan_time_split(created: pd.Series, validation_share: float = 0.15, test_share: float = 0.15) -> SplitPlan:
    """Boundaries on the lead creation dates so that roughly the given shares of leads fall after them."""
    days = pd.to_datetime(created).sort_values().to_numpy()
    if len(days) == 0:
        raise ValueError("no mature snapshots to split: the history is shorter than the label window")
    validation_start = pd.Timestamp(days[int(len(days) * (1 - validation_share - test_share))])
    test_start = pd.Timestamp(days[int(len(days) * (1 - test_share))])
    if not validation_start < test_start:
        raise ValueError(f"too few distinct creation dates to split in time (all near {validation_start.date()})")
    return SplitPlan(validation_start, test_start)


def assign_splits(snapshots: pd.DataFrame, plan: SplitPlan) -> pd.Series:
    created = pd.to_datetime(snapshots["lead_created_date"])
    return pd.Series(
        np.select([created >= plan.test_start, created >= plan.validation_start], ["test", "validation"], "train"),
        index=snapshots.index,
        name="split",
    )


def drop_repeated_rows(frame: pd.DataFrame, feature_names: list[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """Drop validation and test rows whose features repeat an earlier split's row exactly.

    A test row identical to a training row measures memory, not generalisation
    (young leads with no activity yet often look alike). Returns the kept rows
    and the number dropped per split.
    """
    row_hash = pd.util.hash_pandas_object(frame[feature_names], index=False).to_numpy()
    splits = frame["split"].to_numpy()
    seen, keep, dropped = [], np.ones(len(frame), dtype=bool), {}
    for split in SPLITS:
        rows = np.flatnonzero(splits == split)
        # pandas' hash table, not a Python set (or numpy's sort): 8.7M rows in seconds
        repeated = rows[pd.Series(row_hash[rows]).isin(np.concatenate(seen) if seen else []).to_numpy()]
        keep[repeated] = False
        dropped[split] = int(repeated.size)
        seen.append(row_hash[np.setdiff1d(rows, repeated, assume_unique=True)])
    return frame[keep].reset_index(drop=True), dropped


def split_starts(frame: pd.DataFrame) -> dict[str, str]:
    """The first lead creation date of each later split, as the rows actually fell."""
    if frame["lead_created_date"].isna().all():
        return {"split_method": "stratified_random"}
    created = pd.to_datetime(frame["lead_created_date"]).groupby(frame["split"]).min()
    return {f"{split}_start": str(created[split].date()) for split in SPLITS[1:] if split in created}


def split_overlap(frame: pd.DataFrame, feature_names: list[str]) -> dict[str, list]:
    """Leads and identical feature rows found in more than one split (both should be empty)."""
    leads = frame.groupby("lead_id")["split"].nunique()
    rows = frame.groupby(feature_names, dropna=False)["split"].nunique()
    return {
        "leads_in_several_splits": leads[leads > 1].index.tolist(),
        "feature_rows_in_several_splits": int((rows > 1).sum()),
    }
