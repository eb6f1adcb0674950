# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Optional C speed-up of the hot path: reading common `DX de` lines.

`dxspots.parse.dxde.parse_dx_de` is the reference. `parse_dx_de` here reads the common
shapes of the same lines (printable ASCII, indented or not; a human spot, with a signal report
or none, or a raw RBN skimmer spot, its time with or without the `Z`, with or without
AR-Cluster's extension fields after the report) and returns exactly the `Spot` the reference
returns; for anything else it returns None and the
caller uses the reference. It never returns an `Other`: every refusal and every unusual form
stays in one place, the Python parser. tests/unit/test_speedups.py checks that both agree
on real lines, on the benchmark corpus and on generated text. `dxspots.parse` imports it
once its own modules are loaded (this module imports two of them).

Built when Cython and a C compiler are available at install time; dxspots works without it.
"""

from datetime import UTC, datetime, time, timedelta

from dxspots.parse.clock import FUTURE_TOLERANCE
from dxspots.parse.fields import MAX_FREQ_KHZ, MAX_LINE, MIN_FREQ_KHZ, STATES
from dxspots.parse.report import HUMAN_REPORT_MODES
from dxspots.spot import UNENRICHED, Spot

cdef extern from "Python.h":
    void* PyUnicode_DATA(object)

ctypedef const unsigned char* chars

cdef object _new = tuple.__new__
cdef object _ONE_DAY = timedelta(days=1)
cdef object _AHEAD = FUTURE_TOLERANCE
cdef object _BEHIND = FUTURE_TOLERANCE - timedelta(days=1)
cdef tuple _MINUTES = tuple(timedelta(minutes=minute) for minute in range(24 * 60))
cdef dict _MIDNIGHTS = {}
cdef object _combine = datetime.combine
cdef object _MIDNIGHT_TIME = time()
cdef object _UTC = UTC
cdef object _STATES = STATES
cdef object _SPOT = Spot
cdef tuple _UNENRICHED = UNENRICHED
cdef double _MIN_FREQ = MIN_FREQ_KHZ
cdef double _MAX_FREQ = MAX_FREQ_KHZ
cdef Py_ssize_t _MAX_LINE = MAX_LINE
cdef frozenset _HUMAN_MODES = HUMAN_REPORT_MODES
cdef int _MAX_EXTENSION_WORDS = 8  # `dxspots.parse.report._RBN_RE`'s extension
cdef int _MAX_EXTENSION_WORD = 10


cdef inline bint _digit(unsigned char c):
    return c'0' <= c <= c'9'


cdef inline bint _upper(unsigned char c):
    return c'A' <= c <= c'Z'


cdef inline bint _call_char(unsigned char c):
    # What `call_token` accepts once upper-cased: upper-case letters, digits, / # @ -.
    return _upper(c) or _digit(c) or c == c'/' or c == c'#' or c == c'@' or c == c'-'


cdef inline int _two_digits(chars b, Py_ssize_t at):
    return (b[at] - c'0') * 10 + (b[at + 1] - c'0')


cdef bint _is_time(chars b, Py_ssize_t end, Py_ssize_t start):
    """Whether ` HHMMZ` ends at `end`, its space at or after `start`."""
    cdef Py_ssize_t s = end - 6
    if s < start or b[s] != c' ' or b[end - 1] != c'Z':
        return False
    return _digit(b[s + 1]) and _digit(b[s + 2]) and _digit(b[s + 3]) and _digit(b[s + 4])


cdef object _spot_time(int hour, int minute, object received_at):
    """`dxspots.parse.clock.spot_time`, with its midnights memoised here."""
    day = received_at.date()
    midnight = _MIDNIGHTS.get(day)
    if midnight is None:
        if len(_MIDNIGHTS) > 1000:
            _MIDNIGHTS.clear()
        midnight = _MIDNIGHTS[day] = _combine(day, _MIDNIGHT_TIME, tzinfo=_UTC)
    candidate = midnight + _MINUTES[hour * 60 + minute]
    ahead = candidate - received_at
    if ahead > _AHEAD:
        return candidate - _ONE_DAY
    if ahead <= _BEHIND:
        return candidate + _ONE_DAY
    return candidate


cdef inline bint _letter(unsigned char c, unsigned char last):
    return c'A' <= c <= last or c'a' <= c <= last + 32


cdef tuple _tail(chars b, Py_ssize_t start, Py_ssize_t end, str tail):
    """`dxspots.parse.fields.tail_fields`: (grid, state) after the time, or None to defer."""
    cdef Py_ssize_t k = end - start
    if ((k == 4 or k == 6) and _letter(b[start], c'R') and _letter(b[start + 1], c'R')
            and _digit(b[start + 2]) and _digit(b[start + 3])
            and (k == 4 or (_letter(b[start + 4], c'X') and _letter(b[start + 5], c'X')))):
        return (tail.upper(), None)
    if k == 2:
        upper = tail.upper()
        if upper in _STATES:
            return (None, upper)
    return None


cdef inline bint _extension_char(unsigned char c):
    return _upper(c) or _digit(c) or c == c'+' or c == c'/' or c == c'-'


cdef tuple _rbn(str comment):
    """Read a raw RBN comment (`CW    24 dB  22 WPM  CQ`) as `report._RBN_RE` does, or None.

    Returns (mode, snr, wpm, bps, spot_type, locator, end, state): `end` is where the report
    ends and a node's extension words (`  MA EMA`) begin, `state` the first state among them.
    """
    cdef chars c = <chars>PyUnicode_DATA(comment)
    cdef Py_ssize_t m = len(comment), i = 0, j, k, end
    cdef object mode = None, locator = None, spot_type = None, wpm = None, bps = None
    cdef object state = None
    cdef long snr = 0, speed = 0
    cdef int sign = 1, digits = 0, words = 0
    if m == 0:
        return None
    if _upper(c[0]):  # a mode column: [A-Z][A-Z0-9]{1,7} then blanks
        j = 1
        while j < m and (_upper(c[j]) or _digit(c[j])):
            j += 1
        if j < 2 or j > 8 or j >= m or c[j] != c' ':
            return None
        mode = comment[0:j]
        i = j
        while i < m and c[i] == c' ':
            i += 1
    if i < m and (c[i] == c'-' or c[i] == c'+'):
        if c[i] == c'-':
            sign = -1
        i += 1
    while i < m and _digit(c[i]):
        snr = snr * 10 + (c[i] - c'0')
        digits += 1
        i += 1
    if digits == 0 or digits > 3:
        return None
    if i < m and c[i] == c' ':
        i += 1
    if i + 2 > m or c[i] != c'd' or c[i + 1] != c'B':
        return None
    i += 2
    end = i
    if i == m:
        return (mode, sign * snr, wpm, bps, spot_type, locator, end, state)
    if c[i] != c' ':
        return None
    while i < m and c[i] == c' ':
        i += 1  # the comment is stripped: a word follows
    if _digit(c[i]):  # speed: \d{1,4} \s? (WPM|BPS)
        j = i
        while j < m and _digit(c[j]):
            speed = speed * 10 + (c[j] - c'0')
            j += 1
        if j - i > 4:
            return None
        if j < m and c[j] == c' ':
            j += 1
        if j + 3 > m:
            return None
        if c[j] == c'W' and c[j + 1] == c'P' and c[j + 2] == c'M':
            wpm = speed
        elif c[j] == c'B' and c[j + 1] == c'P' and c[j + 2] == c'S':
            bps = speed
        else:
            return None
        i = end = j + 3
    else:  # or a locator: [A-R]{2}\d\d([A-X]{2})?
        j = i
        while j < m and c[j] != c' ':
            j += 1
        k = j - i
        if ((k == 4 or k == 6) and c'A' <= c[i] <= c'R' and c'A' <= c[i + 1] <= c'R'
                and _digit(c[i + 2]) and _digit(c[i + 3])
                and (k == 4 or (c'A' <= c[i + 4] <= c'X' and c'A' <= c[i + 5] <= c'X'))):
            locator = comment[i:j]
            i = end = j
    if i < m and (wpm is not None or bps is not None or locator is not None):
        if c[i] != c' ':
            return None
        while i < m and c[i] == c' ':
            i += 1
    if i < m:  # the spot type, a whole word (or the two of "NCDXF B")
        j = i
        while j < m and c[j] != c' ':
            j += 1
        k = j - i
        if ((k == 2 and ((c[i] == c'C' and c[i + 1] == c'Q') or (c[i] == c'D' and c[i + 1] == c'X')))
                or (k == 6 and comment[i:j] == u"BEACON")):
            spot_type = comment[i:j]
            end = j
        elif (k == 5 and comment[i:j] == u"NCDXF" and j + 1 < m and c[j] == c' '
                and c[j + 1] == c'B' and (j + 2 == m or c[j + 2] == c' ')):
            spot_type = u"NCDXF B"
            end = j + 2
    i = end
    while i < m:  # a node's extension: at most 8 words of [A-Z0-9+/-]{1,10}
        if c[i] != c' ':
            return None
        while i < m and c[i] == c' ':
            i += 1
        j = i
        while j < m and c[j] != c' ':
            if not _extension_char(c[j]):
                return None
            j += 1
        words += 1
        if j - i > _MAX_EXTENSION_WORD or words > _MAX_EXTENSION_WORDS:
            return None
        if state is None and j - i == 2 and comment[i:j] in _STATES:
            state = comment[i:j]
        i = j
    return (mode, sign * snr, wpm, bps, spot_type, locator, end, state)


cdef object _human_snr(str comment):
    """`report.read_human_snr`: the SNR of a leading `FT8 -12 dB`, or None."""
    cdef chars c = <chars>PyUnicode_DATA(comment)
    cdef Py_ssize_t m = len(comment), i, j, word
    cdef long snr = 0
    cdef int sign = 1
    if m < 6 or not (_upper(c[0]) or c'a' <= c[0] <= c'z'):
        return None
    j = 1
    while j < m and (_upper(c[j]) or c'a' <= c[j] <= c'z' or _digit(c[j])):
        j += 1
    if j < 2 or j > 6 or j >= m or c[j] != c' ':
        return None
    i = word = j
    while i < m and c[i] == c' ':
        i += 1
    if i < m and (c[i] == c'-' or c[i] == c'+'):
        if c[i] == c'-':
            sign = -1
        i += 1
    j = i
    while j < m and _digit(c[j]):
        snr = snr * 10 + (c[j] - c'0')
        j += 1
    if j == i or j - i > 2:
        return None
    if j < m and c[j] == c' ':
        j += 1
    if (j + 2 > m or not (c[j] == c'd' or c[j] == c'D')
            or not (c[j + 1] == c'b' or c[j + 1] == c'B') or (j + 2 < m and c[j + 2] != c' ')):
        return None
    if comment[0:word].upper() not in _HUMAN_MODES:
        return None
    return sign * snr


def read_line(line, received_at, node):
    """Return the `Spot` `parse_line` would for a raw line, or None to let it decide.

    Takes a `DX de` line as received (blanks before it, line ending, trailing BEL and NUL
    allowed), of the common shapes `parse_dx_de` reads; None for every other line.
    """
    cdef Py_ssize_t n, e, s = 0
    cdef chars b
    if type(line) is not str:
        return None
    n = len(<str>line)
    if n < 6 or n > _MAX_LINE or not (<str>line).isascii():
        return None
    b = <chars>PyUnicode_DATA(line)
    while s < n - 6 and b[s] == c' ':
        s += 1
    if not (b[s] == c'D' and b[s + 1] == c'X' and b[s + 2] == c' ' and b[s + 3] == c'd'
            and b[s + 4] == c'e' and b[s + 5] == c' '):
        return None
    e = n
    while e > 0 and (b[e - 1] == c'\n' or b[e - 1] == c'\r' or b[e - 1] == 7 or b[e - 1] == 0):
        e -= 1
    return parse_dx_de(line if e == n else (<str>line)[:e], received_at, node)


def parse_dx_de(str line, received_at, node):
    """Return the `Spot` the reference parser would for this line, or None to defer to it.

    `line` is a cleaned line starting `DX de ` after any blanks.
    """
    cdef Py_ssize_t n = len(line), p = 0, s0, s1, f0, f1, c0, c1, rest, e, t0 = 0, q, ts, end
    cdef chars b
    cdef int hour, minute
    cdef double freq
    cdef object tail = None, spotter_locator = None, spotter_state = None, dx_state = None
    cdef object mode = None, snr = None, wpm = None, bps = None, spot_type = None
    cdef object locator = None, state
    cdef str comment, spotter, source = u'dx'
    cdef bint is_skimmer
    cdef tuple rbn, fields
    if not line.isascii() or not line.isprintable():
        return None  # one byte per character from here on, and only ' ' is white space
    b = <chars>PyUnicode_DATA(line)
    while p < n and b[p] == c' ':
        p += 1
    if not line.startswith(u"DX de ", p):
        return None
    p += 6
    s0 = p
    while p < n and b[p] != c' ' and b[p] != c':':  # spotter: [^\s:]+
        if not _call_char(b[p]):
            return None
        p += 1
    s1 = p
    if s1 == s0 or s1 - s0 > 24:
        return None
    if p < n and b[p] == c':':
        p += 1
    while p < n and b[p] == c' ':
        p += 1
    f0 = p  # frequency: \d+(\.\d*)?
    while p < n and _digit(b[p]):
        p += 1
    if p == f0:
        return None
    if p < n and b[p] == c'.':
        p += 1
        while p < n and _digit(b[p]):
            p += 1
    f1 = p
    if p >= n or b[p] != c' ':
        return None
    while p < n and b[p] == c' ':
        p += 1
    c0 = p  # DX call: \S+
    while p < n and b[p] != c' ':
        if not _call_char(b[p]):
            return None
        p += 1
    c1 = p
    if c1 == c0 or c1 - c0 > 24:
        return None
    is_skimmer = b[s1 - 1] == c'#' and s1 - s0 >= 2 and b[s1 - 2] == c'-'
    rest = p  # comment, then " HHMMZ", then at most one word
    e = n
    while e > rest and b[e - 1] == c' ':
        e -= 1
    if _is_time(b, e, rest):
        ts = e - 6
    else:
        t0 = e
        while t0 > rest and b[t0 - 1] != c' ':
            t0 -= 1
        if t0 == e or t0 - 1 < rest:
            return None
        q = t0 - 1
        while q > rest and b[q - 1] == c' ':
            q -= 1
        if _is_time(b, q, rest):
            ts = q - 6
            tail = line[t0:e]
        elif (is_skimmer and e - t0 == 4 and _digit(b[t0]) and _digit(b[t0 + 1])
                and _digit(b[t0 + 2]) and _digit(b[t0 + 3])):
            ts = t0 - 1  # a skimmer's time without its Z: the report below must be raw RBN
        else:
            return None
    hour = _two_digits(b, ts + 1)
    minute = _two_digits(b, ts + 3)
    if hour > 23 or minute > 59:
        return None
    freq = float(line[f0:f1])
    if not (_MIN_FREQ <= freq <= _MAX_FREQ):
        return None
    if tail is not None:
        if len(tail) <= 2 and tail.isdecimal():
            return None  # DXSpider's zones around the time: the reference handles them
        fields = _tail(b, t0, e, tail)
        if fields is None:
            return None  # not a grid or a state: the reference says "no time"
        spotter_locator, spotter_state = fields
    e = ts - rest  # AR-Cluster's DX state: a known code right before the time, after 2 blanks
    if (e >= 4 and b[ts - 4] == c' ' and b[ts - 3] == c' '
            and line[ts - 2:ts] in _STATES):
        dx_state = line[ts - 2:ts]
        comment = line[rest:ts - 2].strip()
    else:
        comment = line[rest:ts].strip()
    spotter = line[s0:s1]
    if is_skimmer:
        rbn = _rbn(comment)
        if rbn is None:
            return None  # other skimmer forms (DXSpider's curated one...): the reference
        mode, snr, wpm, bps, spot_type, locator, end, state = rbn
        if end < len(comment):
            comment = comment[:end]  # a node's extension words stay in raw only
        if dx_state is None:
            dx_state = state
        source = u'rbn'
    elif u'B' in comment or u'b' in comment:
        snr = _human_snr(comment)
    return _new(_SPOT, (
        _spot_time(hour, minute, received_at), freq, line[c0:c1], spotter, comment,
        received_at, line, source, node, snr, wpm, bps, spot_type, is_skimmer,
        spotter_locator, dx_state, spotter_state, None, mode, locator,
    ) + _UNENRICHED)
