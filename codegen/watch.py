"""`codegen generate --watch`: generate, then again whenever a migration, a query or the
config is saved, until Ctrl-C.

Files are watched with watchfiles (the `watch` extra: `pip install 'asyncpg-codegen[watch]'`).
Saves are debounced: a burst of changes (an editor's write-and-rename, a `git checkout`) is
one regeneration once nothing has changed for `QUIET_MS`. A generation that fails prints its
errors (file:line:col) and writes nothing, since `generate` writes all or nothing; watching
goes on, and the next save tries again. What is watched is the config file and every schema
and queries path it names, read again after each change (an edited config may point
elsewhere; an editor that saves by renaming replaces the file being watched).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

from codegen import config as cfg
from codegen.errors import CodegenError

EXTRA = "asyncpg-codegen[watch]"
QUIET_MS = 300  # regenerate once the files have been quiet this long
SUFFIXES = (".sql", ".toml", ".yaml", ".yml", ".json")


def _watchfiles() -> ModuleType:
    try:
        import watchfiles
    except ImportError:
        raise CodegenError(
            f"generate --watch needs watchfiles, which the `watch` extra installs: "
            f"pip install '{EXTRA}'"
        ) from None
    return watchfiles


def watched(config_file: Path) -> tuple[tuple[Path, ...], Path | None]:
    """The paths to watch (config file, schema and queries paths that exist) and the
    generated package (its own writes are not changes); a broken config: the file alone."""
    try:
        config = cfg.load(config_file)
    except CodegenError:
        folder = config_file.resolve().parent
        candidates = (config_file.resolve(), *(folder / n for n in cfg.SQLC_NAMES))
        found = tuple(p for p in candidates if p.is_file())
        if not found:
            raise
        return found, None
    paths = {config.source or config_file, *config.schema_paths, *config.query_paths}
    return tuple(sorted(p.resolve() for p in paths if p.exists())), config.package.resolve()


def is_input(path: Path, package: Path | None) -> bool:
    """A file generation reads: SQL or config, not inside the generated package."""
    return path.name.endswith(SUFFIXES) and not (package and path.is_relative_to(package))


def _changes(paths: tuple[Path, ...], package: Path | None) -> Iterator[set[Path]]:
    """Batches of changed files; an empty batch first, once the watcher is listening."""
    watchfiles = _watchfiles()
    default = watchfiles.DefaultFilter()

    def relevant(change: object, path: str) -> bool:
        return bool(default(change, path)) and is_input(Path(path), package)

    batches = watchfiles.watch(
        *paths,
        watch_filter=relevant,
        step=QUIET_MS,
        rust_timeout=1000,
        yield_on_timeout=True,  # the first (empty) batch says the watcher is listening
        raise_interrupt=True,
    )
    for batch in batches:
        yield {Path(path) for _, path in batch}


def _show(paths: tuple[Path, ...], root: Path) -> str:
    return ", ".join(
        p.relative_to(root).as_posix() if p.is_relative_to(root) else str(p) for p in paths
    )


Stamp = dict[Path, tuple[int, int, int]]


def stamp(paths: tuple[Path, ...], package: Path | None) -> Stamp:
    """Modification time, inode and size of every watched file (the generated package's
    are not inputs): what a save changes."""
    out: Stamp = {}
    for path in paths:
        for f in sorted(path.rglob("*")) if path.is_dir() else [path]:
            try:
                st = f.stat()
            except OSError:  # removed meanwhile
                continue
            if is_input(f, package) and not f.is_dir():
                out[f] = (st.st_mtime_ns, st.st_ino, st.st_size)
    return out


def _generate(config_file: Path, generate: Callable[[], int]) -> Stamp:
    """Run `generate`; the stamp of the files as it read them (taken just before)."""
    before = stamp(*watched(config_file))
    code = generate()
    if code == 130:  # interrupted while generating
        raise KeyboardInterrupt
    if code != 0:
        print("generate failed, nothing written; watching for the next save")
    return before


def run(config_file: Path, generate: Callable[[], int]) -> int:
    """Generate, then regenerate on every change; Ctrl-C stops (exit 0).

    A watcher is started again when the config names other paths or a watched file was
    replaced; whatever was saved meanwhile (before it listens) is found by its stamp."""
    _watchfiles()  # the missing extra is one message before anything else
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)  # each line as it happens, even piped
    root = config_file.resolve().parent
    try:
        generated = _generate(config_file, generate)
        while True:
            paths, package = watched(config_file)
            listening = False
            for batch in _changes(paths, package):
                changed = set(batch)
                if not listening:
                    listening = True
                    now = stamp(paths, package)
                    changed |= {
                        f for f in now.keys() | generated.keys() if now.get(f) != generated.get(f)
                    }
                    print(f"watching {_show(paths, root)} (Ctrl-C stops)")
                if not changed:
                    continue
                print(f"changed: {_show(tuple(sorted(changed)), root)}")
                generated = _generate(config_file, generate)
                files = {p for p in paths if not p.is_dir()}  # a save may replace a file
                if watched(config_file) != (paths, package) or changed & files:
                    break  # watch what the config names now, and replaced files anew
    except KeyboardInterrupt:
        print("stopped watching")
    return 0
