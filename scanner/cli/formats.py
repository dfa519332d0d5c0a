"""Which report format the user asked for: names read case-insensitively, `-o FILE` by suffix.

`-o report.html` without `--format` writes HTML, not JSON that merely carries the name; a
suffix that names another format than an explicit `--format` is refused, because whoever
opens `report.sarif` expects SARIF in it. A suffix smscan does not know is refused too
when no `--format` says what to write (guessing JSON there is how `-o x.csv` went wrong).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath

from smscan.errors import UsageError

# Suffixes beyond each format's own extension (the registry's `extension`, e.g. junit.xml).
ALIASES: tuple[tuple[str, str], ...] = (
    (".sarif.json", "sarif"),
    (".htm", "html"),
    (".xml", "junit"),
    (".markdown", "markdown"),
)

# SARIF is JSON: `-f sarif -o results.json` is what several upload guides write.
COMPATIBLE = {("sarif", "json")}

NOT_WRITTEN = {".txt": "plain text", ".pdf": "PDF", ".yaml": "YAML", ".yml": "YAML", ".xlsx": "Excel"}


def known_formats() -> list[str]:
    from smscan.reports import FORMATS

    return list(FORMATS)


def normalize(name: str) -> str:
    """`HTML`, ` Sarif ` -> the registry's name; an unknown name is a usage error."""
    wanted = name.strip().lower()
    formats = known_formats()
    if wanted not in formats:
        raise UsageError(f"unknown format {name!r} (expected one of {', '.join(formats)})")
    return wanted


def suffixes() -> list[tuple[str, str]]:
    """(suffix, format) pairs, longest first, so `x.sarif.json` is SARIF and `x.junit.xml` JUnit."""
    from smscan.reports import FORMATS

    pairs = [(f".{f.extension}".lower(), name) for name, f in FORMATS.items()]
    pairs += [(suffix, fmt) for suffix, fmt in ALIASES if fmt in FORMATS]
    return sorted(dict(pairs).items(), key=lambda p: -len(p[0]))


def from_suffix(path: str) -> str | None:
    """The format a file name's suffix names, or None when it names none smscan writes."""
    name = PurePath(path).name.lower()
    return next((fmt for suffix, fmt in suffixes() if name.endswith(suffix) and name != suffix), None)


def choose(explicit: Sequence[str], output_file: str | None, configured: Sequence[str]) -> list[str]:
    """The formats to write, from --format, the -o suffix and the config file, in that order."""
    formats = list(dict.fromkeys(normalize(f) for f in explicit))
    if output_file and output_file != "-" and PurePath(output_file).suffix:
        inferred = from_suffix(output_file)
        suffix = PurePath(output_file).suffix.lower()
        if formats and inferred and len(formats) == 1 and not _agree(formats[0], inferred):
            raise UsageError(
                f"-o {output_file}: the suffix says {inferred} but --format says {formats[0]}; "
                f"rename the file or drop --format"
            )
        if not formats:
            if inferred is None:
                what = NOT_WRITTEN.get(suffix)
                lead = f"smscan writes no {what} report" if what else f"unknown report suffix {suffix!r}"
                raise UsageError(
                    f"-o {output_file}: {lead}; give --format ({', '.join(known_formats())}) "
                    "or use a suffix such as .json, .sarif, .html, .xml or .md"
                )
            return [inferred]
    if formats:
        return formats
    return list(dict.fromkeys(normalize(f) for f in configured)) or ["json"]


def _agree(fmt: str, inferred: str) -> bool:
    return fmt == inferred or (fmt, inferred) in COMPATIBLE
