"""The user's code style, as ruff will apply it to the generated package: its line length.

Ruff formats a file with the configuration nearest to it: in the file's folder or the
closest one above, `.ruff.toml`, then `ruff.toml`, then a `pyproject.toml` that has a
`[tool.ruff]` section (one without it is passed over). The generator looks from the
package's folder the same way, so generated code is already formatted as `ruff format`
would leave it, under the project's own `line-length` (ruff's default, 88, otherwise).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from codegen.errors import CodegenError

DEFAULT_LINE_LENGTH = 88  # ruff's


def ruff_settings(start: Path) -> tuple[Path | None, dict[str, Any]]:
    """The ruff configuration file that governs `start` (a folder that may not exist yet)
    and its settings (`[tool.ruff]` of a pyproject.toml); (None, {}) when there is none."""
    for folder in [start, *start.parents]:
        for name in (".ruff.toml", "ruff.toml", "pyproject.toml"):
            path = folder / name
            if not path.is_file():
                continue
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
                raise CodegenError(f"{path}: {exc}") from None
            if name != "pyproject.toml":
                return path, data
            tool = data.get("tool", {})
            if isinstance(tool, dict) and isinstance(tool.get("ruff"), dict):
                return path, tool["ruff"]
    return None, {}


def line_length(package: Path) -> int:
    """The line length ruff formats the package's files to."""
    path, settings = ruff_settings(package.resolve())
    value = settings.get("line-length", DEFAULT_LINE_LENGTH)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 320:
        raise CodegenError(f"{path}: ruff's line-length must be a whole number from 1 to 320")
    return value
