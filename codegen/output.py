"""Writing the generated package all or nothing, even if the process dies half way.

Renaming temporary files into place one by one leaves a mix of old and new modules when
the process is killed between two renames. Instead the whole new package is built in a
sibling directory — unchanged files and anything else in the package (py.typed,
__pycache__, hand-placed files) hard-linked, so they keep their inodes — and the two
directories are exchanged in one `renameat2(RENAME_EXCHANGE)` system call. Before the
exchange the package is untouched; after it, complete. Where the exchange is not
available (not Linux, or a file system without it) two renames are used and a crash
between them leaves the old package beside the new one, never a mix.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import stat
import tempfile
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def write_atomically(files: dict[Path, str], stale: set[Path]) -> None:
    """Make the package hold exactly `files` (path -> text) instead of its generated files
    now, `stale` (files to remove). Files of the package not named stay as they are."""
    parents = {p.parent for p in files} | {p.parent for p in stale}
    if len(parents) != 1:
        raise ValueError(f"generated files must share one directory, got {sorted(parents)}")
    package = parents.pop()
    package.parent.mkdir(parents=True, exist_ok=True)
    for leftover in package.parent.glob(f".{package.name}.*.new"):
        shutil.rmtree(leftover, ignore_errors=True)  # from a run that was killed
    tmp = Path(tempfile.mkdtemp(dir=package.parent, prefix=f".{package.name}.", suffix=".new"))
    try:
        _build(package, tmp, files, stale)
        if package.exists():
            exchange(tmp, package)  # tmp now holds the old package
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            os.rename(tmp, package)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _build(package: Path, tmp: Path, files: dict[Path, str], stale: set[Path]) -> None:
    """The new package in `tmp`: what is kept linked from the old one, new text written."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, stat.S_IMODE(package.stat().st_mode) if package.exists() else 0o777 & ~umask)
    replaced = set(files) | stale
    if package.exists():
        _link_tree(package, tmp, {p.name for p in replaced})
    for path, text in sorted(files.items()):
        old = _read(path)
        if old == text:
            _link_or_copy(path, tmp / path.name)
            continue
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o666 & ~umask
        write_file(tmp / path.name, text, mode)
    _fsync_dir(tmp)


def write_file(path: Path, text: str, mode: int) -> None:
    """One new file, flushed to disk, with the permissions the old one had."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(path, mode)  # O_CREAT applies the umask; keep the old file's mode exactly


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None


def _link_tree(src: Path, dest: Path, skip: set[str]) -> None:
    """Everything in `src` but the `skip` names, into `dest`: files hard-linked."""
    for entry in sorted(src.iterdir()):
        if entry.name in skip:
            continue
        target = dest / entry.name
        if entry.is_symlink():
            os.symlink(os.readlink(entry), target)
        elif entry.is_dir():
            target.mkdir()
            _link_tree(entry, target, set())
            os.chmod(target, stat.S_IMODE(entry.stat().st_mode))
        else:
            _link_or_copy(entry, target)


def _link_or_copy(src: Path, dest: Path) -> None:
    try:
        os.link(src, dest)
    except OSError:
        shutil.copy2(src, dest)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def exchange(a: Path, b: Path) -> None:
    """Swap two directories in one step (Linux renameat2); two renames where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        renameat2 = None
    if renameat2 is not None:
        rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
        if rc == 0:
            _fsync_dir(b.parent)
            return
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise OSError(err, os.strerror(err), str(b))
    aside = a.with_name(a.name + ".old")
    os.rename(b, aside)
    os.rename(a, b)
    os.rename(aside, a)
