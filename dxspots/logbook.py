"""A log's QSOs as dxspots keeps them: what each says about the entity, band and mode worked,
and whether it is confirmed. Pure: `QsoReader.read` turns one ADIF record
(`dxspots.adif`) into a `Qso` or says why it cannot, never raising.

- **Time**: ``QSO_DATE`` (YYYYMMDD) and ``TIME_ON`` (HHMM or HHMMSS, UTC; 00:00 when
  missing), to the second.
- **Band**: ``BAND`` (any case), else the band ``FREQ`` (MHz) falls in.
- **Mode class**, as DXCC awards count modes: CW; phone (SSB, AM, FM and digital voice);
  data (RTTY and every other digital mode: ARRL counts them together). From ``MODE`` and
  ``SUBMODE`` (``MFSK`` with ``FT4`` is data, as ``FT4`` alone from older loggers). SSTV,
  which the rules do not name, is counted with data: a choice.
- **Entity**: the record's ``DXCC`` number when the country file knows it (its ``cty.csv``
  gives the numbers), else the call looked up in the country file, as for spots.
- **Confirmed**: ``QSL_RCVD`` or ``LOTW_QSL_RCVD`` is ``Y`` (or ``V``, verified): a card or
  LoTW, what DXCC accepts. LoTW's own reports say it with ``QSL_RCVD``, and with
  ``APP_LoTW_2xQSL`` ``Y`` or an ``APP_LoTW_RXQSL`` date (when the QSL came), which count too.
- LoTW's ``APP_LoTW_MODEGROUP`` (CW, PHONE, DATA), when present, is the mode class: it is
  LoTW's own DXCC grouping of the mode.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from dxspots.bands import BANDS, band_for
from dxspots.cty import CountryFile
from dxspots.modes import normalise_mode

MODE_CLASSES = ("CW", "PHONE", "DATA")
PHONE_MODES = frozenset(("SSB", "USB", "LSB", "AM", "FM", "PHONE", "DIGITALVOICE", "DSTAR",
                         "C4FM", "DMR", "FREEDV", "M17"))  # fmt: skip
"""Voice modes, as logged or as spots name them: the phone class; CW is CW, the rest data."""
_BAND_NAMES = {band.name.upper(): band.name for band in BANDS}
_CALL = re.compile(r"[A-Z0-9]+(?:/[A-Z0-9]+)*")
_YES = frozenset(("Y", "V"))


@dataclass(frozen=True, slots=True)
class Qso:
    """One QSO of a log, read and checked."""

    call: str
    qso_time: datetime
    band: str
    mode: str
    """The mode as logged (``SUBMODE`` when given, else ``MODE``), upper-cased."""
    mode_class: str
    dx_entity: str | None
    dxcc: int | None
    confirmed: bool


def mode_class(mode: str | None, submode: str | None = None) -> str | None:
    """CW, PHONE or DATA for a logged or spotted mode; None when there is none."""
    names = [name.strip().upper() for name in (submode, mode) if name and name.strip()]
    if not names:
        return None
    if any(name == "CW" for name in names):
        return "CW"
    for name in names:
        if name in PHONE_MODES or normalise_mode(name) in PHONE_MODES:
            return "PHONE"
    return "DATA"


def _time(date: str, time_on: str) -> datetime | None:
    digits = time_on.strip() or "0000"
    if not (re.fullmatch(r"\d{8}", date.strip()) and re.fullmatch(r"\d{4}|\d{6}", digits)):
        return None
    digits = digits.ljust(6, "0")
    try:
        return datetime.strptime(date.strip() + digits, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _band(fields: Mapping[str, str]) -> str | None:
    named = fields.get("BAND", "").strip().upper()
    if named:
        return _BAND_NAMES.get(named)
    try:
        mhz = float(fields.get("FREQ", "").strip())
    except ValueError:
        return None
    return band_for(mhz * 1000)


class QsoReader:
    """Reads records into QSOs against one country file (None: no entities)."""

    def __init__(self, country: CountryFile | None) -> None:
        self.country = country
        self.names: dict[int, str] = {}
        for entity in country.entities if country is not None else ():
            if entity.adif is not None:
                self.names.setdefault(entity.adif, entity.name)

    def read(self, fields: Mapping[str, str]) -> Qso | str:
        """The QSO an ADIF record holds, or why it holds none (a short reason)."""
        return qso_from_record(fields, self)


def qso_from_record(fields: Mapping[str, str], reader: QsoReader) -> Qso | str:
    """The QSO an ADIF record holds, or why it holds none (a short reason)."""
    call = fields.get("CALL", "").strip().upper()
    if not call or len(call) > 20 or not _CALL.fullmatch(call):
        return f"no usable CALL ({call[:20]!r})" if call else "no CALL"
    moment = _time(fields.get("QSO_DATE", ""), fields.get("TIME_ON", ""))
    if moment is None:
        return f"no usable QSO_DATE/TIME_ON ({fields.get('QSO_DATE', '')[:12]!r})"
    band = _band(fields)
    if band is None:
        return f"no usable BAND or FREQ ({fields.get('BAND', fields.get('FREQ', ''))[:12]!r})"
    logged = (fields.get("SUBMODE") or fields.get("MODE") or "").strip().upper()
    group = fields.get("APP_LOTW_MODEGROUP", "").strip().upper()  # LoTW's own DXCC class
    kind = group if group in MODE_CLASSES else mode_class(fields.get("MODE"), fields.get("SUBMODE"))
    if kind is None:
        return "no MODE"
    dxcc: int | None = None
    number = fields.get("DXCC", "").strip()
    if number.isascii() and number.isdigit() and len(number) <= 4:
        dxcc = int(number)
    entity = _entity(call, dxcc, reader)
    confirmed = any(fields.get(name, "").strip().upper() in _YES
                    for name in ("QSL_RCVD", "LOTW_QSL_RCVD", "APP_LOTW_2XQSL")) or bool(
        fields.get("APP_LOTW_RXQSL", "").strip())  # fmt: skip
    return Qso(call, moment, band, logged[:20], kind, entity, dxcc, confirmed)


def _entity(call: str, dxcc: int | None, reader: QsoReader) -> str | None:
    if reader.country is None:
        return None
    if dxcc is not None and dxcc in reader.names:
        return reader.names[dxcc]
    found = reader.country.lookup(call)
    return None if found is None else found.name
