"""Part 1b: what each `[tool.codegen] rows = ...` kind costs per call, against raw asyncpg.

This project's queries are generated once per kind ("record", the default and what the
rest of the benchmark uses; "dataclass", "pydantic", "msgspec") into a temporary package,
and each package's get-by-id (:one) and list of 10,000 rows (:many) is timed against raw
`conn.fetchrow`/`conn.fetch` with the same SQL, interleaved as in part 1.

Run alone: `.venv/bin/python -m bench.row_kinds [--quick]` (it makes its own scratch
database), or as part `rows` of `python -m bench`.
"""

from __future__ import annotations

import asyncio
import importlib
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from bench.scratch import Fixture
from bench.timing import Op, Stats, interleaved, ratio
from chatdb.db import runtime

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("record", "dataclass", "pydantic", "msgspec")
RAW = "raw asyncpg"


@dataclass(frozen=True)
class KindResult:
    case: str  # "get-by-id (:one)" / "list 10,000 rows (:many)"
    stats: dict[str, Stats]  # RAW and each kind


@contextmanager
def generated_kinds() -> Iterator[dict[str, ModuleType]]:
    """kind -> the package of this project's queries generated with `rows = kind`."""
    from codegen import cli

    with tempfile.TemporaryDirectory(prefix="bench-rows-") as tmp:
        base = Path(tmp)
        packages: dict[str, ModuleType] = {}
        try:
            for kind in KINDS:
                project = base / kind
                project.mkdir()
                for sub in ("schema", "queries"):
                    shutil.copytree(ROOT / sub, project / sub)
                (project / "pyproject.toml").write_text(
                    f'[tool.codegen]\nschema = "schema"\nqueries = "queries"\n'
                    f'package = "rows_{kind}"\nrows = "{kind}"\n'
                )
                if cli.main(["generate", "--config", str(project / "pyproject.toml")]) != 0:
                    raise RuntimeError(f"generating rows = {kind!r} failed")
                sys.path.insert(0, str(project))
                packages[kind] = importlib.import_module(f"rows_{kind}")
            yield packages
        finally:
            for kind in KINDS:
                sys.path[:] = [p for p in sys.path if p != str(base / kind)]
                for name in [m for m in sys.modules if m.startswith(f"rows_{kind}")]:
                    del sys.modules[name]


def _submodule(package: ModuleType, name: str) -> ModuleType:
    return importlib.import_module(f"{package.__name__}.{name}")


async def run(fx: Fixture, quick: bool, log: Callable[[str], None]) -> list[KindResult]:
    conn = await runtime.connect(fx.dsn)
    try:
        with generated_kinds() as packages:
            configs = {k: _submodule(p, "chatmodelconfigs") for k, p in packages.items()}
            messages = {k: _submodule(p, "chat_messages") for k, p in packages.items()}
            one_sql = configs["record"].GET_CHAT_MODEL_CONFIG_BY_ID
            many_sql = messages["record"].LIST_CHAT_MESSAGES
            cfg_id, chat_id, acc = fx.default_config_id, fx.list_chat_id, fx.account_id

            def one_ops() -> dict[str, Op]:
                async def raw() -> object:
                    return await conn.fetchrow(one_sql, cfg_id)

                ops: dict[str, Op] = {RAW: raw}
                for kind, module in configs.items():

                    async def gen(m: ModuleType = module) -> object:
                        return await m.get_chat_model_config_by_id(conn, id=cfg_id)

                    ops[kind] = gen
                return ops

            def many_ops() -> dict[str, Op]:
                async def raw() -> object:
                    return await conn.fetch(many_sql, acc, chat_id, 0, 10_000)

                ops: dict[str, Op] = {RAW: raw}
                for kind, module in messages.items():

                    async def gen(m: ModuleType = module) -> object:
                        return await m.list_chat_messages(
                            conn, account_id=acc, chat_id=chat_id, after_id=0, page_size=10_000
                        )

                    ops[kind] = gen
                return ops

            out = []
            for label, ops, rounds, batch in (
                ("get-by-id (:one)", one_ops(), 15 if quick else 60, 20 if quick else 50),
                ("list 10,000 rows (:many)", many_ops(), 5 if quick else 20, 1),
            ):
                log(f"  rows kinds: {label} ...")
                stats = await interleaved(ops, rounds=rounds, batch=batch, warmup=2)
                out.append(KindResult(label, stats))
            return out
    finally:
        await conn.close()


def markdown(results: list[KindResult]) -> list[str]:
    """One row per kind: median µs and the ratio to raw asyncpg, per case."""
    head = ["rows =", *(f"{r.case}: µs (÷ raw)" for r in results)]
    lines = ["| " + " | ".join(head) + " |", "| :--- |" + " ---: |" * len(results)]
    for name in (RAW, *KINDS):
        cells = []
        for r in results:
            s, raw = r.stats[name], r.stats[RAW]
            times = f"{s.median:,.0f}"
            cells.append(times if name == RAW else f"{times} ({ratio(s, raw):.2f}x)")
        lines.append(f"| {name if name == RAW else f'`{name}`'} | " + " | ".join(cells) + " |")
    return lines


async def _main(quick: bool) -> None:
    from bench import scratch

    async with scratch.scratch_database(scratch.admin_dsn()) as db:
        fx = await scratch.seed(db, throughput_chats=0)
        results = await run(fx, quick, lambda m: print(m, file=sys.stderr, flush=True))
    print("\n".join(markdown(results)))


if __name__ == "__main__":
    asyncio.run(_main("--quick" in sys.argv))
