"""Credentials out of everything the platform shows: the one function for every URL printed,
logged, put in Dagster metadata or resource config, MLflow tags or the report.

A URL can carry a secret in three places: the password of ``user:password@``,
query parameters such as ``password=``, ``token=``, ``key=`` or ``secret=``
(libpq and many HTTP APIs take them), and, for incoming webhooks (Slack, Teams,
Discord), the path itself. The first two are always masked; the path only when
the caller says it is the secret (``keep_path=False``), since a warehouse's or
tracking server's path (the database, a prefix) is what an operator needs to see.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

MASK = "***"
# A URL inside any text (an error message, a log line): up to whitespace, a quote or an angle bracket.
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.IGNORECASE)
SECRET_PARAMETER = re.compile(r"pass|pwd|token|key|secret|signature|sig\b|auth|credential", re.IGNORECASE)
QUERY_PARAMETER = re.compile(r"(^|[&;])([^=&;]+)=([^&;]*)")


def redacted(text: str | Path, keep_path: bool = True) -> str:
    """``text`` with every URL in it shown without its credentials (text without a URL comes back as it is).

    ``postgresql://user:s3cret@host/db?sslpassword=x`` -> ``postgresql://user:***@host/db?sslpassword=***``.
    ``keep_path=False``: ``text`` is one URL whose path is the secret (an incoming webhook),
    ``https://hooks.slack.com/services/T0/B0/XYZ`` -> ``https://hooks.slack.com/***``; anything
    else (a webhook set without its scheme, say) is masked whole, as nothing in it can be told safe.
    """
    if not keep_path and not URL.fullmatch(str(text)):
        return MASK
    return URL.sub(lambda found: _redacted_url(found.group(0), keep_path), str(text))


def _redacted_url(url: str, keep_path: bool) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:  # unparseable (a bad IPv6 host, say): nothing of it can be shown safely
        return f"{url.split('://', 1)[0]}://{MASK}"
    userinfo, at, host = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        userinfo = f"{userinfo.split(':', 1)[0]}:{MASK}"
    netloc = f"{userinfo}@{host}" if at else host
    if not keep_path:
        hidden = parts.path.strip("/") or parts.query or parts.fragment
        return f"{parts.scheme}://{netloc}{f'/{MASK}' if hidden else parts.path}"
    query = QUERY_PARAMETER.sub(_masked_parameter, parts.query)
    # Put together by hand: urlunsplit drops the empty host of sqlite:////abs/path.
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def _masked_parameter(parameter: re.Match) -> str:
    separator, name, value = parameter.groups()
    return f"{separator}{name}={MASK if SECRET_PARAMETER.search(name) else value}"
