"""Every page runs inside `guarded`: a database that is away is one message and a retry, a bad
setting or a bad address is a sentence, and nothing else ever shows a traceback (it goes to
the log instead).

Error messages carry outside text (a value from the address, a setting), so the page shows
them through `literal`; the driver's words about an unreachable database (its host and port)
go only to the log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from dashboard.data import DatabaseDown, QueryTooSlow, database_answers, settings
from dashboard.literal import literal
from dxspots.queries import ParameterError
from dxspots.settings import SettingsError

log = logging.getLogger(__name__)


def _wait_for_database(seconds: float) -> None:
    @st.fragment(run_every=seconds)
    def check() -> None:
        if database_answers():
            st.rerun(scope="app")

    check()


@contextmanager
def guarded() -> Iterator[None]:
    """Run a page's body; turn the failures a user can meet into messages."""
    try:
        yield
    except SettingsError as error:
        st.error(f"dxspots cannot start: {literal(error, limit=2000)}")
    except DatabaseDown as error:
        log.warning("the database is not reachable: %s", error)
        refresh = settings().dashboard_refresh
        st.error(
            f"The database is not reachable. {error.hint} This page tries again every "
            f"{refresh:.0f} s."
        )
        _wait_for_database(refresh)
    except QueryTooSlow as error:
        st.warning(f"This part could not be shown: {literal(error)}.")
    except ParameterError as error:
        st.warning(f"A filter in the address is not valid and was not applied: {literal(error)}")
    except Exception:
        log.exception("dashboard page failed")
        st.error("Something went wrong on this page; the dashboard's log has the details.")
