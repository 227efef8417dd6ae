"""Turning what a resident types into a search box into a safe FTS5 expression."""

from __future__ import annotations

import re

MAX_TERMS = 8
MAX_QUERY_CHARS = 200
_WORD = re.compile(r"\w+")


def fts_expression(text: str) -> str | None:
    """Each word quoted (so `"`, `*`, `NEAR(`, `OR`, `-` are only ever words), all required.

    The last word also matches as a prefix, as people type "vél" meaning "vélo". Accents are
    not removed here: the FTS tokenizer (unicode61, remove_diacritics 2) folds them the same
    way in the query as in the text. None when there is nothing to search for.
    """
    words = _WORD.findall(text[:MAX_QUERY_CHARS])[:MAX_TERMS]
    words = [w for w in words if w.strip("_")]
    if not words:
        return None
    quoted = [f'"{word}"' for word in words]
    quoted[-1] += "*"
    return " ".join(quoted)
