# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Optional C speed-up of `dxspots parse --format jsonl`: spots as JSON lines.

`dxspots.recordio.jsonl_line` is the reference: the standard library's encoder
(`json.dumps(row, ensure_ascii=False)`), UTF-8. `SpotLines.add` writes the same bytes for a
spot whose fields are what parsers and enrichment give (None, bool, str, int, finite float,
UTC datetime), and refuses every other record, which the caller then writes with the
reference: a lone surrogate in a string, a datetime in another zone, an integer beyond 64
bits, a float subclass, anything else. tests/unit/test_recordio.py checks that both agree,
byte for byte, on real, generated and hostile text.

Why it exists: building a dict of a spot's 37 fields and encoding it cost four times what
parsing and enriching the line do (docs/benchmarks.md). Built when Cython and a C compiler
are available at install time; dxspots works without it.
"""

import json
from datetime import UTC, datetime

from cpython.datetime cimport (
    datetime_day,
    datetime_hour,
    datetime_microsecond,
    datetime_minute,
    datetime_month,
    datetime_second,
    datetime_tzinfo,
    datetime_year,
    import_datetime,
)
from libc.math cimport isfinite
from libc.stdio cimport snprintf
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, strlen

cdef extern from "Python.h":
    int PyUnicode_KIND(object)
    void* PyUnicode_DATA(object)
    Py_UCS4 PyUnicode_READ(int kind, void* data, Py_ssize_t index)
    char* PyOS_double_to_string(double val, char format_code, int precision, int flags,
                                int* ptype) except NULL
    void PyMem_Free(void* p)
    long long PyLong_AsLongLongAndOverflow(object, int*) except? -1
    double PyFloat_AS_DOUBLE(object)
    bytes PyBytes_FromStringAndSize(const char*, Py_ssize_t)
    int Py_DTSF_ADD_DOT_0

import_datetime()

cdef object _UTC = UTC
cdef object _DATETIME = datetime
cdef const char* _HEX = b"0123456789abcdef"
cdef enum:
    MAX_FIELDS = 64
    REFUSED = -2  # what a value writer returns for a value the reference must write
    MEMO_LIMIT = 100_000


cdef inline char* _escape(char* out, unsigned int c) noexcept:
    """Write the JSON escape of `c` (a quote, a backslash or a control character)."""
    out[0] = b'\\'
    if c == 0x22:
        out[1] = b'"'
    elif c == 0x5c:
        out[1] = b'\\'
    elif c == 0x0a:
        out[1] = b'n'
    elif c == 0x0d:
        out[1] = b'r'
    elif c == 0x09:
        out[1] = b't'
    elif c == 0x08:
        out[1] = b'b'
    elif c == 0x0c:
        out[1] = b'f'
    else:
        out[1] = b'u'
        out[2] = b'0'
        out[3] = b'0'
        out[4] = _HEX[c >> 4]
        out[5] = _HEX[c & 15]
        return out + 6
    return out + 2


cdef class SpotLines:
    """A buffer of JSON lines for spots: `add` one, `take` what is there."""

    cdef char* buf
    cdef Py_ssize_t size, cap, count
    cdef list keys  # keeps the key texts the pointers below point into
    cdef const char* key_text[MAX_FIELDS]
    cdef Py_ssize_t key_size[MAX_FIELDS]
    cdef dict floats, times  # memos: feeds repeat frequencies, positions and times

    def __cinit__(self, fields):
        cdef Py_ssize_t i
        if not 0 < len(fields) <= MAX_FIELDS:
            raise ValueError("SpotLines takes 1 to 64 field names")
        self.cap = 1 << 16
        self.buf = <char*>malloc(self.cap)
        if self.buf == NULL:
            raise MemoryError
        self.size = 0
        # What json.dumps puts before each value: `"line": N` comes first, then the kind.
        self.keys = [(", " + json.dumps(name) + ": ").encode() for name in fields]
        self.keys[0] = (', "kind": "spot", ' + json.dumps(fields[0]) + ": ").encode()
        self.count = len(fields)
        for i in range(self.count):
            self.key_text[i] = <bytes>self.keys[i]
            self.key_size[i] = len(<bytes>self.keys[i])
        self.floats = {}
        self.times = {}

    def __dealloc__(self):
        free(self.buf)

    cdef int _grow(self, Py_ssize_t need) except -1:
        cdef Py_ssize_t cap = self.cap
        cdef char* grown
        while self.size + need > cap:
            cap *= 2
        grown = <char*>realloc(self.buf, cap)
        if grown == NULL:
            raise MemoryError
        self.buf = grown
        self.cap = cap
        return 0

    cdef inline int _put(self, const char* text, Py_ssize_t n) except -1:
        if self.size + n > self.cap:
            self._grow(n)
        memcpy(self.buf + self.size, text, n)
        self.size += n
        return 0

    cdef int _integer(self, long long whole) except -1:
        cdef char digits[24]
        cdef int at = 24
        cdef bint negative = whole < 0
        cdef unsigned long long rest = (
            <unsigned long long>0 - <unsigned long long>whole if negative
            else <unsigned long long>whole
        )
        while True:
            at -= 1
            digits[at] = <char>(48 + rest % 10)
            rest //= 10
            if rest == 0:
                break
        if negative:
            at -= 1
            digits[at] = b'-'
        return self._put(digits + at, 24 - at)

    cdef int _string(self, str value) except -1:
        """Write a JSON string as json's encoder does with ensure_ascii=False, in UTF-8."""
        cdef int kind = PyUnicode_KIND(value)
        cdef void* data = PyUnicode_DATA(value)
        cdef Py_ssize_t n = len(value), i
        cdef const unsigned char* latin
        cdef unsigned char b
        cdef unsigned int c
        cdef char* out
        if self.size + 6 * n + 2 > self.cap:  # 6 bytes a character at most (`\u001f`)
            self._grow(6 * n + 2)
        out = self.buf + self.size
        out[0] = b'"'
        out += 1
        if kind == 1:  # one byte a character: all that Latin-1 decoding gives
            latin = <const unsigned char*>data
            for i in range(n):
                b = latin[i]
                if 0x20 <= b < 0x80 and b != 0x22 and b != 0x5c:
                    out[0] = <char>b
                    out += 1
                elif b >= 0x80:
                    out[0] = <char>(0xC0 | (b >> 6))
                    out[1] = <char>(0x80 | (b & 0x3F))
                    out += 2
                else:
                    out = _escape(out, b)
        else:
            for i in range(n):
                c = <unsigned int>PyUnicode_READ(kind, data, i)
                if c < 0x80:
                    if 0x20 <= c and c != 0x22 and c != 0x5c:
                        out[0] = <char>c
                        out += 1
                    else:
                        out = _escape(out, c)
                elif c < 0x800:
                    out[0] = <char>(0xC0 | (c >> 6))
                    out[1] = <char>(0x80 | (c & 0x3F))
                    out += 2
                elif c < 0x10000:
                    if 0xD800 <= c <= 0xDFFF:
                        return REFUSED  # a lone surrogate has no UTF-8: the reference's call
                    out[0] = <char>(0xE0 | (c >> 12))
                    out[1] = <char>(0x80 | ((c >> 6) & 0x3F))
                    out[2] = <char>(0x80 | (c & 0x3F))
                    out += 3
                else:
                    out[0] = <char>(0xF0 | (c >> 18))
                    out[1] = <char>(0x80 | ((c >> 12) & 0x3F))
                    out[2] = <char>(0x80 | ((c >> 6) & 0x3F))
                    out[3] = <char>(0x80 | (c & 0x3F))
                    out += 4
        out[0] = b'"'
        self.size = out + 1 - self.buf
        return 0

    cdef int _float(self, object value) except -1:
        """float.__repr__, which json uses for finite floats; memoised, but not for zeros
        (0.0 == -0.0 as keys, and they print differently)."""
        cdef double real = PyFloat_AS_DOUBLE(value)
        cdef char* text
        cdef object known
        if not isfinite(real):
            return REFUSED  # json writes NaN and Infinity: the reference's
        if real != 0.0:
            known = self.floats.get(value)
            if known is not None:
                return self._put(<bytes>known, len(<bytes>known))
        text = PyOS_double_to_string(real, b'r', 0, Py_DTSF_ADD_DOT_0, NULL)
        try:
            if real != 0.0:
                if len(self.floats) >= MEMO_LIMIT:
                    self.floats.clear()
                self.floats[value] = PyBytes_FromStringAndSize(text, strlen(text))
            self._put(text, strlen(text))
        finally:
            PyMem_Free(text)
        return 0

    cdef int _time(self, object value) except -1:
        """`recordio.iso` of a UTC datetime, quoted: `2026-11-27T09:13:00Z` (microseconds
        when there are some); memoised (equal UTC datetimes print the same)."""
        cdef char text[48]
        cdef int n
        cdef object known = self.times.get(value)
        if known is not None:
            return self._put(<bytes>known, len(<bytes>known))
        if datetime_microsecond(value):
            n = snprintf(text, 48, b"\"%04d-%02d-%02dT%02d:%02d:%02d.%06dZ\"",
                         datetime_year(value), datetime_month(value), datetime_day(value),
                         datetime_hour(value), datetime_minute(value), datetime_second(value),
                         datetime_microsecond(value))
        else:
            n = snprintf(text, 48, b"\"%04d-%02d-%02dT%02d:%02d:%02dZ\"",
                         datetime_year(value), datetime_month(value), datetime_day(value),
                         datetime_hour(value), datetime_minute(value), datetime_second(value))
        if not 0 < n < 48:
            return REFUSED
        if len(self.times) >= MEMO_LIMIT:
            self.times.clear()
        self.times[value] = PyBytes_FromStringAndSize(text, n)
        return self._put(text, n)

    cdef int _value(self, object value) except -1:
        cdef int overflow = 0
        cdef long long whole
        if value is None:
            return self._put(b"null", 4)
        if value is True:
            return self._put(b"true", 4)
        if value is False:
            return self._put(b"false", 5)
        if type(value) is str:
            return self._string(<str>value)
        if type(value) is float:
            return self._float(value)
        if type(value) is int:
            whole = PyLong_AsLongLongAndOverflow(value, &overflow)
            if overflow:
                return REFUSED
            return self._integer(whole)
        if type(value) is _DATETIME and datetime_tzinfo(value) is _UTC:
            return self._time(value)
        return REFUSED

    def add(self, number, spot):
        """Append the JSON line of the spot numbered `number`; return the bytes now waiting,
        or -1, having appended nothing, for a record the reference must write."""
        cdef Py_ssize_t start = self.size, i
        cdef tuple fields
        cdef long long line
        cdef int overflow = 0
        if not isinstance(spot, tuple) or type(number) is not int:
            return -1
        fields = <tuple>spot
        if len(fields) != self.count:
            return -1
        line = PyLong_AsLongLongAndOverflow(number, &overflow)
        if overflow:
            return -1
        self._put(b"{\"line\": ", 9)
        self._integer(line)
        for i in range(self.count):
            self._put(self.key_text[i], self.key_size[i])
            if self._value(fields[i]) == REFUSED:
                self.size = start
                return -1
        self._put(b"}\n", 2)
        return self.size

    def take(self):
        """Return the lines waiting, as bytes, and empty the buffer."""
        cdef bytes out = PyBytes_FromStringAndSize(self.buf, self.size)
        self.size = 0
        return out
