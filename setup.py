"""Build the optional C speed-ups; everything else is in pyproject.toml.

dxspots/parse/_cdxde.pyx reads common DX de lines, dxspots/_cenrich.pyx enriches skimmer
spots, dxspots/_crecordio.pyx writes spots as JSON lines; each returns exactly what the
Python reference returns, or defers to it.

The extensions are optional: without Cython or a C compiler the build goes on without them
and dxspots uses the pure-Python reference.
"""

from setuptools import Extension, setup

try:
    from Cython.Build import cythonize
except ImportError:  # no Cython: pure Python
    extensions = []
else:
    extensions = cythonize(
        [
            Extension("dxspots.parse._cdxde", ["dxspots/parse/_cdxde.pyx"], optional=True),
            Extension("dxspots._cenrich", ["dxspots/_cenrich.pyx"], optional=True),
            Extension("dxspots._crecordio", ["dxspots/_crecordio.pyx"], optional=True),
        ],
        compiler_directives={"language_level": "3"},
        quiet=True,
    )

setup(ext_modules=extensions)
