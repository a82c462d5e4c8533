"""A whole list's export kept as a file: built once per version of the list and sent from the files folder
afterwards, so a download of 20,000 rows costs a stamp query and a file send instead of writing 180,000 cells.

The file's name carries a digest of everything its content depends on: the batch and its state (a commit
makes a new batch, an undo changes its state), the latest change of any firm (name, code, industry and township
are columns of the export), the townships' names, the reader's scope (a township official's rows are its own),
the language of the headers and labels and the sort. When any of these changes the name changes, the file is
built again at the next download and the older files of the same list and scope are removed. A filtered export
(search, township, industry, open requests, an older batch) is not kept: it is built for its request."""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Firm, Township
from ...models.whitelists import WhiteListBatch

FOLDER = "whitelist_exports"
# Raise when what an export writes changes (columns, formats): every kept file is then built again.
FORMAT_VERSION = 1
_SAFE = re.compile(r"[^A-Za-z0-9_-]")
STALE_BUILD_SECONDS = 3600


def list_stamp(session: Session, batch_id: int) -> tuple:
    """What a list's rows depend on, in two small queries whatever the list's length: the batch (its entries are
    written with it in one transaction and only removed by an undo, which changes its state), the latest change
    of any firm (indexed), the townships' names."""
    batch = session.execute(select(WhiteListBatch.id, WhiteListBatch.state, WhiteListBatch.row_count,
                                   WhiteListBatch.label, select(func.max(Firm.updated_at)).scalar_subquery())
                            .where(WhiteListBatch.id == batch_id)).first()
    townships = session.execute(select(Township.id, Township.name).order_by(Township.id)).all()
    return tuple(batch or ()), tuple(townships)


def file_name(kind: str, scope: str, locale: str, sort: str, fmt: str, parts: Iterable) -> str:
    """`<kind>.<scope>.<locale>.<sort>.<digest>.<fmt>`: one family of files per list, scope, language and sort."""
    digest = hashlib.sha256(repr((FORMAT_VERSION, *parts)).encode()).hexdigest()[:32]
    prefix = ".".join(_SAFE.sub("_", part) or "_" for part in (kind, scope, locale, sort))
    return f"{prefix}.{digest}.{_SAFE.sub('_', fmt)}"


def kept_file(folder: Path, name: str, write: Callable[[object], None]) -> Path:
    """The file `name` in the exports folder, written by `write(binary file)` first if it is not there. Written
    to a temporary file and renamed into place, so a reader never sees half a file (two workers building the
    same one at once both write whole files; the last rename wins). Older files of the same family go."""
    root = folder / FOLDER
    path = root / name
    if path.exists():
        return path
    root.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=root, prefix=".build-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    family, fmt = name.rsplit(".", 2)[0], name.rsplit(".", 1)[1]
    for older in root.glob(f"{glob_escape(family)}.*.{glob_escape(fmt)}"):
        if older.name != name:
            older.unlink(missing_ok=True)
    for left in root.glob(".build-*.part"):  # a build whose worker was stopped half-way
        try:
            if left.stat().st_mtime < time.time() - STALE_BUILD_SECONDS:
                left.unlink(missing_ok=True)
        except FileNotFoundError:
            continue
    return path


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)
