"""`codegen generate --watch`, run as a user runs it: a process watching a scaffolded project
while its queries file is edited, broken, fixed and saved in bursts."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from codegen import cli, watch
from tests.conftest import ROOT

TIMEOUT = 60  # seconds any one step may take on a loaded machine


class Watcher:
    """The watching process and the lines it has printed so far."""

    def __init__(self, project: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "codegen", "generate", "--watch"],
            cwd=project,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[tuple[str, str]] = queue.Queue()
        self.seen: list[tuple[str, str]] = []
        self.after: dict[str, int] = {}  # per stream: where the next wait_for starts
        for name in ("stdout", "stderr"):
            stream = getattr(self.proc, name)
            threading.Thread(target=self._read, args=(name, stream), daemon=True).start()

    def _read(self, name: str, stream: Iterator[str]) -> None:
        for line in stream:
            self.lines.put((name, line.rstrip("\n")))

    def wait_for(self, name: str, pattern: str) -> str:
        """The first line of `name` (stdout/stderr) after the last one this matched there,
        matching `pattern`. The two streams are read apart, so a line of one may have been
        read while waiting for the other: those are searched first."""
        start = self.after.get(name, 0)
        deadline = time.monotonic() + TIMEOUT
        while True:
            for i in range(start, len(self.seen)):
                stream, line = self.seen[i]
                if stream == name and re.search(pattern, line):
                    self.after[name] = i + 1
                    return line
            start = len(self.seen)
            if time.monotonic() >= deadline:
                break
            try:
                self.seen.append(self.lines.get(timeout=0.2))
            except queue.Empty:
                assert self.proc.poll() is None, f"watch exited: {self.seen}"
        raise AssertionError(f"no {name} line matching {pattern!r} in {TIMEOUT}s: {self.seen}")

    def count(self, name: str, pattern: str) -> int:
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return sum(1 for s, line in self.seen if s == name and re.search(pattern, line))


def until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    assert cli.main(["init", "--dir", str(tmp_path)]) == 0
    return tmp_path


def test_watch_regenerates_on_save_survives_a_bad_edit_and_debounces(project: Path) -> None:
    queries = project / "queries" / "items.sql"
    module = project / "db" / "items.py"
    w = Watcher(project)
    try:
        w.wait_for("stdout", r"^generated 4 files")
        w.wait_for("stdout", r"^watching .*queries")

        queries.write_text(
            queries.read_text() + "\n-- name: CountItems :one\nSELECT count(*) FROM items;\n"
        )
        w.wait_for("stdout", r"^changed: queries/items\.sql")
        until(lambda: "async def count_items(" in module.read_text())

        good = module.read_bytes()
        text = queries.read_text()
        line = len(text.splitlines()) + 4  # a blank line, the header, SELECT, then `nme`
        queries.write_text(text + "\n-- name: Newest :one\nSELECT\n  nme FROM items LIMIT 1;\n")
        error = w.wait_for("stderr", r"error")
        assert error.startswith(f"queries/items.sql:{line}:3: error: Newest:"), error
        w.wait_for("stdout", r"^generate failed, nothing written")
        assert module.read_bytes() == good and w.proc.poll() is None

        queries.write_text(queries.read_text().replace("nme", "name"))
        until(lambda: "async def newest(" in module.read_text())
        w.wait_for("stdout", r"^generated ")

        before = w.count("stdout", r"^changed: ")
        text = queries.read_text()
        for i in range(10):  # one burst of saves: one regeneration
            queries.write_text(text + f"\n-- name: Burst :one\nSELECT {i} AS n;\n")
        until(lambda: "async def burst(" in module.read_text())
        w.wait_for("stdout", r"^generated ")
        time.sleep(2 * watch.QUIET_MS / 1000)
        assert w.count("stdout", r"^changed: ") == before + 1, w.seen
        assert "SELECT 9 AS n" in module.read_text()

        w.proc.send_signal(signal.SIGINT)
        assert w.proc.wait(timeout=TIMEOUT) == 0
        w.wait_for("stdout", r"^stopped watching")
    finally:
        if w.proc.poll() is None:
            w.proc.kill()
            w.proc.wait()


def replace(path: Path, text: str) -> None:
    """Save as many editors do: write a new file, rename it over the old one."""
    new = path.with_name(path.name + ".new")
    new.write_text(text)
    os.replace(new, path)


def test_watch_follows_a_config_saved_by_rename_to_where_it_now_points(project: Path) -> None:
    config = project / "pyproject.toml"
    w = Watcher(project)
    try:
        w.wait_for("stdout", r"^watching ")
        for package in ("app_db", "other_db"):  # the second save proves the file is re-watched
            text = re.sub(
                r'^package = "\w+"', f'package = "{package}"', config.read_text(), flags=re.M
            )
            replace(config, text)
            w.wait_for("stdout", rf"^generated 4 files for 3 queries in {package} ")
            assert (project / package / "items.py").is_file()
        w.wait_for("stdout", r"^watching ")
        moved = project / "queries" / "items.sql"
        replace(moved, moved.read_text() + "\n-- name: One :one\nSELECT 1 AS one;\n")
        until(lambda: "async def one(" in (project / "other_db" / "items.py").read_text())
    finally:
        w.proc.kill()
        w.proc.wait()


def test_watch_without_watchfiles_names_the_extra(project: Path) -> None:
    probe = (
        "import sys\nsys.modules['watchfiles'] = None\nfrom codegen import cli\n"
        "raise SystemExit(cli.main(['generate', '--watch']))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT,
    )
    assert out.returncode == 1
    assert out.stderr.strip() == (
        "error: generate --watch needs watchfiles, which the `watch` extra installs: "
        "pip install 'asyncpg-codegen[watch]'"
    )
    assert not (project / "db").exists()  # nothing generated either
