"""The hostile-input corpus (corpus.json) and an export built from it: every entry a header, a value and a file name."""

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

CORPUS: list[str] = json.loads((Path(__file__).parent / "corpus.json").read_text(encoding="utf-8"))
SECRET_VARIABLE, SECRET = "LS_CORPUS_SECRET", "corpus-secret-7f3a9c"
# Each of these names a table or schema the corpus's SQL and Jinja try to create.
PLANTED = "pwned"

ID = "{% endraw %}{{ env_var('LS_CORPUS_SECRET') }}"
LABEL = "'; drop table raw.leads; --"
PII = "<script>alert(1)</script>"
POST_OUTCOME = "{{ this }}"
POSITIVE, NEGATIVE = "{{ env_var('LS_CORPUS_SECRET') }}", "'; drop table raw.leads; --"
assert {ID, LABEL, PII, POST_OUTCOME, POSITIVE} <= set(CORPUS)


def safe_file_name(entry: str, suffix: str) -> str:
    """The corpus entry as a file name: only '/' and NUL cannot be in one."""
    name = entry.replace("/", "∕").replace("\x00", "␀")[:150] or "empty"
    return f"{name}{suffix}"


def features() -> list[str]:
    return [entry for entry in CORPUS if entry not in (ID, LABEL, PII, POST_OUTCOME)]


def hostile_export(folder: Path, n: int = 2500, seed: int = 11) -> tuple[Path, Path]:
    """A CSV whose headers are the corpus and whose categorical values are the corpus, with a learnable label.

    Half the features are numbers (two of them carry the signal), half are
    categories drawn from the corpus; a few rows hold a NUL (quarantined).
    """
    rng = np.random.default_rng(seed)
    names = features()
    numeric, categorical = names[: len(names) // 2], names[len(names) // 2:]
    values = rng.normal(size=(n, len(numeric)))
    logit = 1.8 * values[:, 0] - 1.4 * values[:, 1]
    converted = rng.random(n) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame({ID: [f"L{i:05d}" for i in range(n)], LABEL: np.where(converted, POSITIVE, NEGATIVE)})
    for j, name in enumerate(numeric):
        frame[name] = values[:, j].round(4)
    pool = [entry for entry in CORPUS if "\x00" not in entry]
    for j, name in enumerate(categorical):
        frame[name] = [pool[k] for k in rng.integers(0, len(pool), n)]
    frame[PII] = [f"person{i}@example.com" for i in range(n)]
    frame[POST_OUTCOME] = np.where(converted, "won later", "lost later")
    nul_rows = rng.choice(n, n // 125, replace=False)  # 0.8%: quarantined, under the mapping's 5%
    frame.loc[nul_rows, categorical[0]] = "corrupt\x00value"
    path = folder / safe_file_name(ID + "; drop", ".csv")
    frame.to_csv(path, index=False, quoting=csv.QUOTE_ALL)  # a bare carriage return ends a line otherwise
    mapping = folder / safe_file_name("{{ run_query('create table main.pwned_file as select 42') }}", ".yml")
    mapping.write_text(yaml.safe_dump({
        "name": "select",  # a reserved word names the export's tables
        "description": POSITIVE,
        "id_column": ID,
        "label": {"column": LABEL, "positive": [POSITIVE], "negative": [NEGATIVE]},
        "missing_tokens": ["", "{# a comment #}"],
        "pii": [PII],
        "post_outcome": [POST_OUTCOME],
        "max_quarantine_share": 0.05,
        "split_seed": 5,
    }, allow_unicode=True), encoding="utf-8")
    return path, mapping
