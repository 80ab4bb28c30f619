"""PostgreSQL types as Python annotations: built-in scalars, arrays, enums and overrides."""

from __future__ import annotations

from codegen import catalog as cat
from codegen import naming
from codegen.config import Config
from codegen.errors import CodegenError
from codegen.render.imports import Imports

# pg type -> (annotation, module it needs or None); "runtime" names a helper of runtime.py
_SCALARS: dict[str, tuple[str, str | None]] = {
    "bool": ("bool", None),
    "int2": ("int", None),
    "int4": ("int", None),
    "int8": ("int", None),
    "oid": ("int", None),
    "xid": ("int", None),
    "xid8": ("int", None),
    "cid": ("int", None),
    "pg_lsn": ("int", None),
    "tid": ("tuple[int, int]", None),  # (block, offset)
    "pg_snapshot": ("tuple[int, int, tuple[int, ...]]", None),  # (xmin, xmax, xip)
    "txid_snapshot": ("tuple[int, int, tuple[int, ...]]", None),
    "float4": ("float", None),
    "float8": ("float", None),
    "numeric": ("decimal.Decimal", "decimal"),
    "money": ("str", None),
    "text": ("str", None),
    "varchar": ("str", None),
    "bpchar": ("str", None),
    "name": ("str", None),
    "char": ("bytes", None),  # the one-byte "char" of the system catalogs
    "citext": ("str", None),
    "hstore": ("dict[str, str | None]", None),  # contrib extensions (codegen/data/pg<N>/extensions)
    "ltree": ("str", None),
    "vector": ("list[float]", None),  # pgvector: the runtime's codecs (templates/_vector.j2)
    "halfvec": ("list[float]", None),
    "sparsevec": ("SparseVector", "runtime"),
    "xml": ("str", None),
    "tsvector": ("str", None),
    "macaddr": ("str", None),
    "uuid": ("uuid.UUID", "uuid"),
    "bytea": ("bytes", None),
    "date": ("datetime.date", "datetime"),
    "time": ("datetime.time", "datetime"),
    "timetz": ("datetime.time", "datetime"),
    "timestamp": ("datetime.datetime", "datetime"),
    "timestamptz": ("datetime.datetime", "datetime"),
    "interval": ("datetime.timedelta", "datetime"),
    "json": ("JSONValue", "runtime"),
    "jsonb": ("JSONValue", "runtime"),
    # a host address comes back as an IPv4Address/IPv6Address, one with a netmask as an
    # IPv4Interface/IPv6Interface
    "inet": (
        "ipaddress.IPv4Address | ipaddress.IPv6Address"
        " | ipaddress.IPv4Interface | ipaddress.IPv6Interface",
        "ipaddress",
    ),
    "cidr": ("ipaddress.IPv4Network | ipaddress.IPv6Network", "ipaddress"),
    "bit": ("asyncpg.BitString", "asyncpg"),
    "varbit": ("asyncpg.BitString", "asyncpg"),
    "point": ("asyncpg.Point", "asyncpg"),
    "box": ("asyncpg.Box", "asyncpg"),
    "line": ("asyncpg.Line", "asyncpg"),
    "lseg": ("asyncpg.LineSegment", "asyncpg"),
    "path": ("asyncpg.Path", "asyncpg"),
    "polygon": ("asyncpg.Polygon", "asyncpg"),
    "circle": ("asyncpg.Circle", "asyncpg"),
    "void": ("None", None),
    "record": ("tuple[object, ...]", None),
}
# dense pgvector types: a parameter takes any sequence of floats (the runtime's
# VectorParam); `vectors = "numpy"` makes results the runtime's numpy array aliases
_VECTORS = {"vector": "Vector", "halfvec": "HalfVector"}


class TypeMapper:
    def __init__(self, catalog: cat.Catalog, config: Config) -> None:
        self.catalog = catalog
        self.config = config

    def _override(self, key: str, imports: Imports) -> str | None:
        spec = self.config.overrides.get(key)
        if spec is None:
            return None
        module, sep, name = spec.partition(":")
        if not sep or not module or not name:
            raise CodegenError(
                f'override {key!r} = {spec!r}: use "module:Type" (e.g. "decimal:Decimal")'
            )
        if module == "builtins":
            return name
        imports.name(module, name.split(".")[0])
        return name

    def py(self, pg: str, nullable: bool, imports: Imports, column: str | None = None) -> str:
        """The annotation for a value of type `pg`; `column` ("table.col") for overrides."""
        base = None
        if column is not None:
            base = self._override(column, imports)
        if base is None:
            base = self._base(pg, imports)
        return f"{base} | None" if nullable else base

    def _row_type(self, pg: str) -> bool:
        """A composite type: CREATE TYPE ... AS (...), a table's row type, or a record."""
        return pg in self.catalog.composites or pg in self.catalog.tables or pg == "record"

    def param(self, pg: str, nullable: bool, imports: Imports) -> str:
        """The annotation for a parameter: what the driver accepts for `pg`. An array takes
        any sequence; a NOT NULL json/jsonb takes no None, which asyncpg would send as SQL
        NULL."""
        if self.config.overrides.get(pg) is None:
            types = self.catalog.types
            inner = None
            if self._row_type(types.elem(pg)):  # asyncpg encodes a composite from a tuple
                inner = "tuple[object, ...]"
            if types.is_array(pg):
                imports.module("collections.abc")
                inner = f"collections.abc.Sequence[{inner or self._base(types.elem(pg), imports)}]"
            if inner is not None:
                return f"{inner} | None" if nullable else inner
            if pg in _VECTORS:  # any sequence of floats; a numpy array
                imports.runtime("VectorParam")
                return "VectorParam | None" if nullable else "VectorParam"
            if pg in ("json", "jsonb") and not nullable:
                imports.runtime("JSONNotNull")
                return "JSONNotNull"
        return self.py(pg, nullable, imports)

    def _base(self, pg: str, imports: Imports) -> str:
        override = self._override(pg, imports)
        if override is not None:
            return override
        types = self.catalog.types
        if types.is_array(pg):
            return f"list[{self._base(types.elem(pg), imports)}]"
        elem = types.range_elem(pg)
        if elem is not None:  # asyncpg decodes a range as Range, a multirange as a list
            imports.module("asyncpg")
            one = f"asyncpg.Range[{self._base(elem, imports)}]"
            return f"list[{one}]" if types.kind(pg) == "m" else one
        if pg in self.catalog.enums:
            name = naming.enum_class(pg)
            imports.model(name)
            return name
        if pg == "record":  # asyncpg decodes an anonymous row (ROW(a, b)) as a tuple
            return "tuple[object, ...]"
        if pg in _VECTORS and self.config.vectors == "numpy":
            imports.runtime(_VECTORS[pg])
            return _VECTORS[pg]
        if self._row_type(pg):  # and a value of a named composite type as a Record
            imports.module("asyncpg")
            return "asyncpg.Record"
        annotation, module = _SCALARS.get(pg, ("str", None))  # no codec: asyncpg sends text
        if annotation == "JSONValue" and self.config.rows == "pydantic":
            imports.module("pydantic")  # a JSON type pydantic validates and serializes
            return "pydantic.JsonValue"
        if annotation == "JSONValue" and self.config.rows == "msgspec":
            return "object"  # msgspec's any JSON value (it cannot resolve JSONValue's alias)
        if module == "runtime":
            imports.runtime(annotation)
        elif module is not None:
            imports.module(module)
        return annotation
