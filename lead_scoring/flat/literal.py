"""Text from an export as data: warehouse names for its columns, quoted identifiers, Jinja-inert strings.

An export's headers, values and file names are the user's, and some are
hostile (``{{ env_var('SECRET') }}``, ``x"; drop table y; --``) or merely
awkward (``default``, ``国家``, 300 characters). They reach the generated dbt
project and the warehouse only through these functions:

- ``internal_names`` gives each column a SQL-safe name that keeps its meaning
  (letters of any script, digits and ``_``; accents folded; at most
  ``MAX_NAME_BYTES`` bytes, as Postgres cuts identifiers at 63);
  the original name is recorded next to it, never lost.
- ``jinja_literal`` makes a string that dbt renders as Jinja (descriptions,
  ``meta``) render back to itself, so the manifest and the docs show exactly
  what the export said and nothing in it runs.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_NAME_BYTES = 48  # leaves room for a `_<n>` suffix within Postgres' 63-byte identifiers
# Columns the generated models and the warehouse tables add themselves: an export column never takes one.
GENERATED_NAMES = frozenset({
    "lead_id", "as_of_date", "lead_created_date", "converted", "converted_within_30d", "label_is_mature", "split",
    "exported_on", "scoring_date", "_loaded_at", "_row", "_row_id", "_reason", "_landed_date",
})


def _fold(original: str) -> str:
    """Lower case, accents dropped (Région -> region), other scripts kept (国家 stays 国家)."""
    decomposed = unicodedata.normalize("NFKD", original)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", folded).casefold()


def _truncated(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore").rstrip("_")


def internal_names(originals: list[str]) -> dict[str, str]:
    """A distinct warehouse name per export column, in file order.

    Word characters of any script survive; everything else (quotes, braces,
    newlines, NUL, emoji) becomes ``_``. A name with nothing left is named
    after its position; a truncated one carries a short digest of the original,
    so two long headers that share a prefix stay apart and stay stable.
    """
    names: dict[str, str] = {}
    used: set[str] = set()
    for position, original in enumerate(originals, start=1):
        base = re.sub(r"[\W]+", "_", _fold(original), flags=re.UNICODE).strip("_")
        if not base:
            base = f"column_{position}"
        elif base[0].isdigit():
            base = f"c_{base}"
        if len(base.encode("utf-8")) > MAX_NAME_BYTES:
            digest = hashlib.sha256(original.encode("utf-8", errors="surrogatepass")).hexdigest()[:8]
            base = f"{_truncated(base, MAX_NAME_BYTES - 9)}_{digest}"
        name, n = base, 2
        while name in used or name in GENERATED_NAMES:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        names[original] = name
    return names


# Jinja treats these as markup or rewrites them: `{` may open a tag, a line break is normalised to "\n" and a
# final one dropped. Each is written as an expression that prints it.
_JINJA_SPECIAL = {"{": "{{ '{' }}", "\r": "{{ '\\r' }}", "\n": "{{ '\\n' }}"}
_JINJA_SPECIAL_PATTERN = re.compile("[{\r\n]")


def jinja_literal(text: str) -> str:
    """``text`` written so that Jinja renders it back unchanged.

    ``{% raw %}`` would not do: the text itself may contain ``{% endraw %}``.
    """
    return _JINJA_SPECIAL_PATTERN.sub(lambda found: _JINJA_SPECIAL[found.group()], text)


def markdown_code(text: str) -> str:
    """``text`` as a Markdown code span, which dbt docs and the Dagster UI show as written, markup and all.

    The fence is one backtick longer than any run inside the text (CommonMark),
    so a name holding backticks or ``<script>`` stays a name.
    """
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"
