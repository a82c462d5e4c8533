"""Compile the translation catalogues (.po -> .mo). Only Babel is imported, so setup.py can load this file at
build time, `matchmaker init` can run it, and the app runs it at start for a catalogue whose .mo is missing or
older than its .po (a checkout where nobody built them yet). The .mo files are build output, never committed."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def stale(directory: Path = TRANSLATIONS) -> list[Path]:
    """The .po files whose .mo is missing or older."""
    out = []
    for po in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            out.append(po)
    return out


def compile_po(po: Path, mo: Path) -> None:
    """Write `mo` from `po`, atomically (several workers may start at once). Fuzzy entries are left out, as
    `pybabel compile` does without --use-fuzzy."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parent.parent.name)
    mo.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=mo.parent, prefix=".mo-")
    try:
        with os.fdopen(fd, "wb") as out:
            write_mo(out, catalog, use_fuzzy=False)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600: a service user other than the builder must read it
        os.replace(tmp, mo)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def compile_all(source: Path = TRANSLATIONS, target: Path | None = None, only_stale: bool = False) -> list[Path]:
    """Compile every catalogue under `source` into `target` (default: beside the .po). Returns the .mo paths."""
    pos = stale(source) if only_stale else sorted(source.glob("*/LC_MESSAGES/*.po"))
    written = []
    for po in pos:
        mo = (target / po.relative_to(source)).with_suffix(".mo") if target else po.with_suffix(".mo")
        compile_po(po, mo)
        written.append(mo)
    return written
