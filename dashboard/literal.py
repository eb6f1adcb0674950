"""Text from outside (the address, the sidebar, the database, an error) shown as itself.

Streamlit reads the body of `st.warning`, `st.info`, `st.caption`, `st.markdown`, a metric's
label, value and delta, and a radio's options as Markdown: links, images, `:red[...]`
colours, `:material/...:` icons, LaTeX between `$`, and GitHub's autolinks, which turn bare
`https://...`, `www....` and `name@host` into links even when their punctuation is escaped.
A dashboard link could therefore put a working "Log in again" link or a tracking image into
a warning. `literal` makes Markdown that shows the text and nothing else; the tiles' HTML is
escaped with `html.escape` where it is built. (Select boxes and tables show plain text.)
"""

from __future__ import annotations

import re

LIMIT = 300
"""Characters of outside text shown; a longer one is cut and ends in "…"."""

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation mark may be escaped
_WORD_JOINER = "\u2060"  # invisible; splits a word without a break opportunity
_AUTOLINK_START = re.compile(r"(\\:|\\@|(?i:www)(?=\\\.))")


def _line(text: str) -> str:
    printable = "".join(c if c.isprintable() else " " for c in text).strip()
    escaped = _PUNCTUATION.sub(r"\\\1", printable)
    # GitHub's autolinks are found in the text after escapes are read, so a backslash does not
    # stop them: an invisible joiner after `:` and `@` and in `www.` does.
    return _AUTOLINK_START.sub(lambda m: m.group(1) + _WORD_JOINER, escaped)


def literal(text: object, *, limit: int = LIMIT) -> str:
    """Return Markdown that Streamlit shows as `text`, literally, cut to `limit` characters.

    Every ASCII punctuation mark is backslash-escaped, autolinks are broken by an invisible
    word joiner, characters that are not printable (controls, bidi overrides) become spaces,
    and each line of the text is one line of the paragraph (blank lines are dropped, so no
    new block starts).
    """
    shown = str(text)
    if len(shown) > limit:
        shown = shown[:limit] + "…"
    lines = (_line(line) for line in shown.splitlines())
    return "  \n".join(line for line in lines if line)
