"""Download fresh AD1C country files and install them atomically.

`update_country_files` fetches ``cty.dat`` and ``cty.csv``, checks that together they
parse into a plausible country file, and only then replaces the copies in the data
directory (keeping the previous ones as ``cty.dat.old`` and ``cty.csv.old``). Any failure
leaves the installed files as they were and raises `CtyError`.
"""

from __future__ import annotations

import http.client
import logging
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from dxspots.cty import CountryFile, CtyError
from dxspots.ctyfile import parse_adif_numbers

logger = logging.getLogger(__name__)

# AD1C publishes the current plain files at https://www.country-files.com/cty/cty.dat and
# .../cty/cty.csv: that is where DXSpider's update script, CC Cluster-era tools, QLog and
# several other loggers fetch them from (found with the project's code search, 2026).
COUNTRY_FILES_URL: Final = "https://www.country-files.com/cty/"
DAT_NAME: Final = "cty.dat"
CSV_NAME: Final = "cty.csv"
MIN_ENTITIES: Final = 300
"""The real file has about 346 entities; fewer means a truncated or wrong download."""
MAX_DOWNLOAD_BYTES: Final = 8 * 1024 * 1024
"""A refusal threshold: the files are about 100 kB (Big CTY about 350 kB)."""
_USER_AGENT: Final = "dxspots country-file updater"
_CHUNK: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """What an update installed."""

    written: tuple[Path, ...]
    """The files replaced or created, ``cty.dat`` first."""
    version: str | None
    """The ``VERyyyymmdd`` date of the new ``cty.dat``, if it carries one."""
    entities: int


def update_country_files(
    data_dir: Path,
    base_url: str = COUNTRY_FILES_URL,
    *,
    timeout: float = 30,
    min_entities: int = MIN_ENTITIES,
) -> UpdateResult:
    """Download ``cty.dat`` and ``cty.csv`` from ``base_url`` into ``data_dir``.

    ``timeout`` bounds each download as a whole, in seconds. The new files must parse
    and hold at least ``min_entities`` entities (and ADIF rows) before anything on disk
    changes. Raises `CtyError` with the reason on an HTTP error, a time-out, invalid
    content or a failed write; the installed files are then untouched.
    """
    urls = [_join(base_url, name) for name in (DAT_NAME, CSV_NAME)]
    dat_bytes, csv_bytes = (_download(url, timeout) for url in urls)
    dat_text = dat_bytes.decode("utf-8", errors="replace")
    csv_text = csv_bytes.decode("utf-8", errors="replace")
    try:
        country = CountryFile.from_text(dat_text, csv_text)
    except CtyError as exc:
        raise CtyError(f"downloaded country files from {base_url} are not valid: {exc}") from exc
    if len(country.entities) < min_entities:
        raise CtyError(
            f"{urls[0]} holds {len(country.entities)} entities, expected at least {min_entities}"
        )
    adif_rows = len(parse_adif_numbers(csv_text))
    if adif_rows < min_entities:
        raise CtyError(f"{urls[1]} holds {adif_rows} entity rows, expected at least {min_entities}")
    written = _install(data_dir, {DAT_NAME: dat_bytes, CSV_NAME: csv_bytes})
    logger.info("installed country files version %s in %s", country.version, data_dir)
    return UpdateResult(written=written, version=country.version, entities=len(country.entities))


def _join(base_url: str, name: str) -> str:
    """Return the URL of ``name`` under ``base_url``; only http and https are allowed."""
    scheme = urllib.parse.urlsplit(base_url).scheme.lower()
    if scheme not in {"http", "https"}:
        raise CtyError(f"country files URL must be http or https, not {base_url!r}")
    return f"{base_url.rstrip('/')}/{name}"


def _download(url: str, timeout: float) -> bytes:
    """Fetch ``url`` whole within ``timeout`` seconds; raise `CtyError` on any failure."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    chunks: list[bytes] = []
    size = 0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            while chunk := response.read(_CHUNK):
                size += len(chunk)
                if size > MAX_DOWNLOAD_BYTES:
                    raise CtyError(f"{url} is larger than {MAX_DOWNLOAD_BYTES} bytes")
                if time.monotonic() > deadline:
                    raise CtyError(f"downloading {url} took longer than {timeout:g} s")
                chunks.append(chunk)
    except urllib.error.HTTPError as exc:
        raise CtyError(f"downloading {url} failed: HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise CtyError(f"downloading {url} failed: {exc.reason}") from exc
    except TimeoutError as exc:
        raise CtyError(f"downloading {url} timed out after {timeout:g} s") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise CtyError(f"downloading {url} failed: {exc}") from exc
    if not size:
        raise CtyError(f"{url} returned an empty body")
    return b"".join(chunks)


def _install(data_dir: Path, files: dict[str, bytes]) -> tuple[Path, ...]:
    """Write every file to a synced temporary first, then swap each into place.

    The previous copy of each file is kept as ``NAME.old``. If a temporary cannot be
    written, nothing is replaced and `CtyError` is raised.
    """
    staged: dict[str, Path] = {}
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            staged[name] = _write_synced(data_dir, name, content)
        for name, temporary in staged.items():
            target = data_dir / name
            if target.exists():
                _keep_old_copy(target)
            os.replace(temporary, target)
        _sync_directory(data_dir)
    except OSError as exc:
        raise CtyError(f"cannot install country files in {data_dir}: {exc}") from exc
    finally:
        for temporary in staged.values():
            temporary.unlink(missing_ok=True)
    return tuple(data_dir / name for name in files)


def _write_synced(directory: Path, name: str, content: bytes) -> Path:
    """Write ``content`` to a new temporary file beside ``name`` and fsync it."""
    fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def _keep_old_copy(target: Path) -> None:
    """Copy ``target`` to ``target.old`` atomically, so a reader never sees it missing."""
    old = target.with_name(f"{target.name}.old")
    copy = _write_synced(target.parent, old.name, b"")
    try:
        shutil.copyfile(target, copy)
        os.replace(copy, old)
    finally:
        copy.unlink(missing_ok=True)


def _sync_directory(directory: Path) -> None:
    """Flush the directory entry changes (renames) to disk where the OS allows it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
