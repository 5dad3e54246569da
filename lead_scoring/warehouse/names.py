"""Quoted SQL identifiers: names from data reach SQL only through these (DuckDB and Postgres quote alike)."""


def quote(identifier: str) -> str:
    """``identifier`` as a quoted SQL identifier: double quotes, a double quote inside doubled."""
    return '"' + identifier.replace('"', '""') + '"'


def quote_table(table: str) -> str:
    """``schema.table`` with each part quoted."""
    return ".".join(quote(part) for part in table.split(".", 1))


def schema_of(table: str) -> str:
    """The quoted schema of ``schema.table``."""
    return quote(table.split(".")[0])
