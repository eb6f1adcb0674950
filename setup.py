"""Build the optional C speed-up (dxspots/_speedups.pyx); everything else is in pyproject.toml.

The extension is optional: without Cython or a C compiler the build goes on without it and
dxspots uses its pure-Python parser (the reference; see dxspots/_speedups.pyx).
"""

from setuptools import Extension, setup

try:
    from Cython.Build import cythonize
except ImportError:  # no Cython: pure Python
    extensions = []
else:
    extensions = cythonize(
        [Extension("dxspots._speedups", ["dxspots/_speedups.pyx"], optional=True)],
        compiler_directives={"language_level": "3"},
        quiet=True,
    )

setup(ext_modules=extensions)
