"""The base of every error a user can fix: the CLI prints its message, not a traceback."""


class LeadScoringError(Exception):
    """Raised with a message that says what is wrong and where (file, table, column, rows)."""
