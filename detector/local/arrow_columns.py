"""Arrow columns built from msgspec Structs: one `Column` per projected field of a CloudTrail record.

Each column knows the msgspec type that decodes it (only projected fields are declared, so the decoder skips every
other key without making Python objects of it), how to build its Arrow array from the decoded Structs, and how to
clean a generically decoded value the way the typed decode would have held it, by the table's rules:
- a string column given a number, boolean, object or array holds its compact JSON text (`42`, `true`, `{"a":1}`);
- a struct column given anything but an object or null fails the file, as not a CloudTrail log file;
- a JSON-text column takes any value.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from detector.local.projection import arrow_type
from detector.local.source import STRING, BadFile
from detector.sources.columns import Array, Field, Map, Scalar, Struct

WRONG_SHAPE = 'not a CloudTrail log file: expected {"Records": [{...}, ...]}'
_encode = msgspec.json.encode
_decode_any = msgspec.json.decode


def to_text(value: object) -> str | None:
    """A JSON value as a string column holds it: strings as they are, anything else as compact JSON text."""
    if value is None or isinstance(value, str):
        return value
    return _encode(value).decode()


JSON_KINDS: tuple[tuple[type | None, str], ...] = (
    (None, "null"),
    (bool, "a boolean"),
    (int, "a number"),
    (float, "a number"),
    (str, "a string"),
    (list, "an array"),
    (dict, "an object"),
)


def kind(value: object) -> str:
    """What kind of JSON value this is, for a message: `a string`, `an array`, ..."""
    for type_, name in JSON_KINDS:
        if (value is None) if type_ is None else isinstance(value, type_):
            return name
    return type(value).__name__


# --- columns: one per projected field; each knows its msgspec type, its Arrow build and its lenient rule ---


class Column:
    """One projected field of a Struct: how msgspec decodes it, how Arrow gets it, how lenient values map."""

    def __init__(self, name: str, attr: str) -> None:
        self.name = name
        self.attr = attr
        self.get = attrgetter(attr)

    def annotation(self) -> Any:
        raise NotImplementedError

    def default(self) -> Any:
        return None

    def build(self, owners: list[Any]) -> pa.Array:
        """The column over the decoded Structs that own this field (never None)."""
        raise NotImplementedError

    def clean(self, value: object, where: str) -> Any:
        """A generically decoded JSON value as the fast path's Struct would hold it; raises BadFile."""
        raise NotImplementedError


class TextColumn(Column):
    """A string: `str | None` for msgspec, a dictionary column for Arrow."""

    def annotation(self) -> Any:
        return str | None

    def build(self, owners: list[Any]) -> pa.Array:
        return pa.array(list(map(self.get, owners)), STRING)

    def clean(self, value: object, where: str) -> Any:
        return to_text(value)


class StructColumn(Column):
    """A narrowed struct: a nested msgspec Struct of its own columns, an Arrow struct of their arrays."""

    def __init__(self, name: str, attr: str, children: Sequence[Column], type_name: str) -> None:
        super().__init__(name, attr)
        self.children = list(children)
        self.struct = define_struct(type_name, self.children)
        self.empty = self.struct()
        self.arrow = pa.struct([pa.field(c.name, column_arrow_type(c)) for c in self.children])

    def annotation(self) -> Any:
        return self.struct | None

    def build(self, owners: list[Any]) -> pa.Array:
        values = list(map(self.get, owners))
        mask = None
        if None in values:
            mask = pa.array([v is None for v in values], pa.bool_())
            values = [self.empty if v is None else v for v in values]
        arrays = [child.build(values) for child in self.children]
        return pa.StructArray.from_arrays(arrays, fields=list(self.arrow), mask=mask)

    def clean(self, value: object, where: str) -> Any:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise BadFile(f"{WRONG_SHAPE} ({where}{self.name}: expected an object, got {kind(value)})")
        inner = f"{where}{self.name}."
        return self.struct(**{c.attr: c.clean(value.get(c.name), inner) for c in self.children})


class JsonKeysColumn(Column):
    """A JSON-text field the query reads only by top-level key: offered as an object of those keys alone.

    msgspec decodes the keys into a small Struct; each key becomes a dictionary column, and the file's
    distinct combinations of their dictionary indices (a few) are encoded as JSON once each."""

    def __init__(self, name: str, attr: str, keys: Sequence[str], type_name: str) -> None:
        super().__init__(name, attr)
        self.keys = tuple(keys)
        self.key_columns = [TextColumn(key, f"k{i}") for i, key in enumerate(self.keys)]
        self.struct = define_struct(type_name, self.key_columns)
        self.empty = self.struct()

    def annotation(self) -> Any:
        return self.struct | None

    def build(self, owners: list[Any]) -> pa.Array:
        values = list(map(self.get, owners))
        absent = None
        if None in values:
            absent = pa.array([v is None for v in values], pa.bool_())
            values = [self.empty if v is None else v for v in values]
        keys = [column.build(values) for column in self.key_columns]
        if len(keys) == 1:  # the key's own dictionary indices; a null value gives NULL, same as `{}` to extract
            (only,) = keys
            texts = [_encode({self.keys[0]: value}).decode() for value in only.dictionary.to_pylist()]
            indices = only.indices if absent is None else pc.if_else(absent, pa.scalar(None, pa.int32()), only.indices)
            return pa.DictionaryArray.from_arrays(indices, pa.array(texts, pa.string()))
        # one index per row over all keys' dictionaries (a missing key is its dictionary's length)
        combined = pa.scalar(0, pa.int64())
        radix = 1
        for array in keys:
            size = len(array.dictionary)
            index = pc.fill_null(array.indices.cast(pa.int64()), size)
            combined = pc.add(combined, pc.multiply(index, radix))
            radix *= size + 1
        combined_array = combined if isinstance(combined, pa.Array) else pa.repeat(combined, len(values))
        if absent is not None:
            combined_array = pc.if_else(absent, pa.scalar(None, pa.int64()), combined_array)
        encoded = pc.dictionary_encode(combined_array)
        dictionaries = [array.dictionary.to_pylist() for array in keys]
        texts = [self.text(code, dictionaries) for code in encoded.dictionary.to_pylist()]
        return pa.DictionaryArray.from_arrays(encoded.indices, pa.array(texts, pa.string()))

    def text(self, code: int, dictionaries: Sequence[list[str]]) -> str:
        """The JSON object of one combination: the keys whose value is not null, in query order."""
        present = {}
        for key, dictionary in zip(self.keys, dictionaries, strict=True):
            code, index = divmod(code, len(dictionary) + 1)
            if index < len(dictionary):
                present[key] = dictionary[index]
        return _encode(present).decode()

    def clean(self, value: object, where: str) -> Any:
        if not isinstance(value, dict):  # extracting a key from a string, number or array gives NULL
            return None
        return self.struct(**{c.attr: to_text(value.get(c.name)) for c in self.key_columns})


class RawJsonColumn(Column):
    """A JSON-text field read whole: `msgspec.Raw` (its bytes, not decoded), its text in Arrow."""

    def annotation(self) -> Any:
        return msgspec.Raw

    def default(self) -> Any:
        return msgspec.Raw()

    def build(self, owners: list[Any]) -> pa.Array:
        texts = [bytes(raw) for raw in map(self.get, owners)]
        array = pa.array([None if t in (b"", b"null") else t for t in texts], pa.binary())
        return array.cast(pa.string()).dictionary_encode()

    def clean(self, value: object, where: str) -> Any:
        return msgspec.Raw() if value is None else msgspec.Raw(_encode(value))


class NestedColumn(Column):
    """An array or map field (not read by the detection query): kept as Raw, converted by plain Python."""

    def __init__(self, name: str, attr: str, type_: Array | Map) -> None:
        super().__init__(name, attr)
        self.type = type_
        self.arrow = arrow_type(type_)

    def annotation(self) -> Any:
        return msgspec.Raw

    def default(self) -> Any:
        return msgspec.Raw()

    def build(self, owners: list[Any]) -> pa.Array:
        values = []
        for raw in map(self.get, owners):
            value = _decode_any(raw) if raw else None
            values.append(plain(value, self.type, f"{self.name}"))
        return pa.array(values, self.arrow)

    def clean(self, value: object, where: str) -> Any:
        plain(value, self.type, f"{where}{self.name}")  # fails the file now, as the fast path's build would
        return msgspec.Raw() if value is None else msgspec.Raw(_encode(value))


def plain(value: object, type_: Scalar | Struct | Array | Map, where: str) -> object:
    """A JSON value as Python data for `pa.array` of the field's Arrow type, by today's rules."""
    if value is None:
        return None
    match type_:
        case Scalar(json=True):
            return _encode(value).decode()
        case Scalar():
            return to_text(value)
        case Struct(fields):
            if not isinstance(value, dict):
                raise BadFile(f"{WRONG_SHAPE} ({where}: expected an object, got {kind(value)})")
            return {f.name: plain(value.get(f.name), f.type, f"{where}.{f.name}") for f in fields}
        case Array(element):
            if not isinstance(value, list):
                raise BadFile(f"{WRONG_SHAPE} ({where}: expected an array, got {kind(value)})")
            return [plain(item, element, f"{where}[]") for item in value]
        case Map(value_type):
            if not isinstance(value, dict):
                raise BadFile(f"{WRONG_SHAPE} ({where}: expected an object, got {kind(value)})")
            return [(key, plain(item, value_type, f"{where}.{key}")) for key, item in value.items()]
    raise TypeError(type_)


def column_arrow_type(column: Column) -> pa.DataType:
    if isinstance(column, StructColumn):
        return column.arrow
    if isinstance(column, NestedColumn):
        return column.arrow
    return STRING


def define_struct(name: str, columns: Sequence[Column], *, frozen: bool = False) -> type[msgspec.Struct]:
    """A msgspec Struct of `columns`: attributes f0, f1, ... named in JSON by the columns' keys."""
    specs = [(c.attr, c.annotation(), msgspec.field(default=c.default(), name=c.name)) for c in columns]
    return msgspec.defstruct(name, specs, gc=False, frozen=frozen)


def make_columns(fields: Sequence[Field], json_keys: dict[str, tuple[str, ...]], prefix: str) -> list[Column]:
    columns: list[Column] = []
    for index, field in enumerate(fields):
        attr = f"f{index}"
        type_name = f"{prefix}_{field.name}"
        match field.type:
            case Scalar(json=True) if field.name in json_keys:
                columns.append(JsonKeysColumn(field.name, attr, json_keys[field.name], type_name))
            case Scalar(json=True):
                columns.append(RawJsonColumn(field.name, attr))
            case Scalar():
                columns.append(TextColumn(field.name, attr))
            case Struct(children):
                columns.append(StructColumn(field.name, attr, make_columns(children, {}, type_name), type_name))
            case Array() | Map():
                columns.append(NestedColumn(field.name, attr, field.type))
    return columns
