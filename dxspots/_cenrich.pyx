# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Optional C speed-up of enrichment for the bulk of a feed.

`dxspots.enrich.Enricher.enrich_spot` is the reference; `FastEnricher.enrich` returns the
same spot for skimmer spots with a known mode column and for human spots without an explicit
mode, and hands every other spot to it. tests/unit/test_speedups.py checks that both agree.
It imports nothing of `dxspots.parse`.
"""

from libc.math cimport isnan
from libc.stdlib cimport free, malloc

from dxspots.bands import BANDS
from dxspots.comment import locator_from_comment, mentions_split, qsx_from_comment
from dxspots.modes import MODE_ALIASES, mode_from_comment, mode_from_frequency
from dxspots.spot import UNENRICHED, Spot

cdef object _new = tuple.__new__
cdef object _SPOT = Spot
cdef object _mode_from_comment = mode_from_comment
cdef object _mode_from_frequency = mode_from_frequency
cdef object _locator_from_comment = locator_from_comment
cdef object _qsx_from_comment = qsx_from_comment
cdef object _mentions_split = mentions_split
cdef Py_ssize_t COMMENT_MEMO_LIMIT = 100_000


cdef class FastEnricher:
    """The C twin of `Enricher.enrich_spot` for the two common kinds of spot.

    A skimmer spot with a known mode column: no QSX or comment locator to look for, the mode
    is the normalised column, so what is left is the band (a bisect over the ADIF edges) and
    two memoised look-ups. A human spot without an explicit mode: the same, plus the
    comment's mode word, locator and split test (memoised per comment text, since stock
    comments repeat), the band plan's mode (memoised per frequency) and the QSX itself when
    the comment has one. It shares the `Enricher`'s caches and calls back into it for
    anything else, so both give one answer.
    """

    cdef object _enricher, _fallback, _dx_fields, _spotter_fields
    cdef dict _dx, _spotters, _aliases, _comments, _plan
    cdef double* _lowers
    cdef double* _uppers
    cdef tuple _names
    cdef Py_ssize_t _count, _mode_at, _skimmer_at

    def __cinit__(self, enricher, fallback):
        self._enricher = enricher
        self._fallback = fallback
        self._dx = enricher._dx
        self._spotters = enricher._spotters
        self._comments = {}
        self._plan = {}
        self._dx_fields = enricher._dx_fields
        self._spotter_fields = enricher._spotter_fields
        self._aliases = MODE_ALIASES
        self._count = len(BANDS)
        self._lowers = <double*>malloc(self._count * sizeof(double))
        self._uppers = <double*>malloc(self._count * sizeof(double))
        if self._lowers == NULL or self._uppers == NULL:
            raise MemoryError()
        for i, band in enumerate(BANDS):
            self._lowers[i] = band.lower_khz
            self._uppers[i] = band.upper_khz
        self._names = tuple(band.name for band in BANDS)
        self._mode_at = len(Spot._fields) - len(UNENRICHED) - 2
        self._skimmer_at = Spot._fields.index("is_skimmer")

    def __dealloc__(self):
        free(self._lowers)
        free(self._uppers)

    cdef object _band(self, double freq):
        cdef Py_ssize_t low = 0, high = self._count, mid
        while low < high:  # bisect_right over the lower edges
            mid = (low + high) // 2
            if freq < self._lowers[mid]:
                high = mid
            else:
                low = mid + 1
        low -= 1
        if low < 0 or not freq <= self._uppers[low]:
            return None
        return self._names[low]

    def enrich(self, spot_object):
        """Return the enriched spot, as `Enricher.enrich` would."""
        if type(spot_object) is not _SPOT:  # unchecked indexing below: a real Spot only
            return self._fallback(spot_object)
        cdef tuple spot = <tuple>spot_object  # a Spot: a tuple subclass
        cdef object raw_mode = spot[self._mode_at]
        cdef object mode, dx, spotter, locator, qsx = None, comment, known
        cdef double freq
        freq = spot[1]
        if isnan(freq):
            return self._fallback(spot_object)
        locator = spot[self._mode_at + 1]
        skimmer = spot[self._skimmer_at]
        if skimmer is not True and skimmer is not False:
            return self._fallback(spot_object)  # the reference tests truthiness
        if skimmer is True:
            if raw_mode is None:
                return self._fallback(spot_object)
            mode = self._aliases.get(raw_mode)
            if mode is None:
                return self._fallback(spot_object)
        elif raw_mode is None:
            comment = spot[4]
            if comment:
                known = self._comments.get(comment)
                if known is None:
                    if len(self._comments) >= COMMENT_MEMO_LIMIT:
                        self._comments.clear()
                    known = (
                        _mode_from_comment(comment),
                        _locator_from_comment(comment),
                        _mentions_split(comment),
                    )
                    self._comments[comment] = known
                mode = known[0]
                if locator is None:
                    locator = known[1]
                if known[2]:
                    qsx = _qsx_from_comment(comment, freq)
            else:
                mode = None
            if mode is None:  # the band plan's answer, memoised per frequency
                mode = self._plan.get(freq, self)
                if mode is self:
                    if len(self._plan) >= COMMENT_MEMO_LIMIT:
                        self._plan.clear()
                    mode = self._plan[freq] = _mode_from_frequency(freq)
        else:
            return self._fallback(spot_object)
        dx = self._dx.get(spot[2])
        if not dx:
            dx = self._dx_fields(spot[2])
        spotter = self._spotters.get(spot[3])
        if not spotter:
            spotter = self._spotter_fields(spot[3])
        return _new(_SPOT, spot[:self._mode_at] + (
            mode, locator, self._band(freq), spotter[0], qsx,
        ) + dx + spotter[1:])
