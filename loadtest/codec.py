"""Dataclasses to JSON-ready data and back, by their type hints: what a run stores (reports/*.json)
is read back as the same typed records (the page, the docs, `make png`). Standard library only.

to_data(obj): dataclasses become dicts of their fields, tuples and lists become lists, the rest
stays as it is. from_data(cls, data): the other way, checked against the hints: `X | None`,
list[X], tuple[X, ...], dict[str, X], nested dataclasses, and the JSON scalars. A key the class
does not declare is an error, unless the class lists it in IGNORED_KEYS ("*": any; the apps'
answers may say more than the referee reads)."""

import dataclasses
import functools
import types
import typing


def to_data(obj):
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {field.name: to_data(getattr(obj, field.name)) for field in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [to_data(item) for item in obj]
    if isinstance(obj, dict):
        return {key: to_data(value) for key, value in obj.items()}
    return obj


class DecodeError(ValueError):
    """Data that does not fit the declared types: says where."""


@functools.cache
def hints(cls):
    return typing.get_type_hints(cls)


def from_data(cls, data, where="$"):
    """`data` (parsed JSON) as an instance of `cls` (a dataclass or a type hint)."""
    origin, args = typing.get_origin(cls), typing.get_args(cls)
    if cls is typing.Any:
        return data
    if origin is typing.Literal:
        if data not in args:
            raise DecodeError(f"{where}: {data!r} is not one of {list(args)}")
        return data
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        others = [arg for arg in args if arg is not type(None)]
        if len(others) == 1:
            return from_data(others[0], data, where)
        for arg in others:  # a union of scalars: the first that holds it
            if isinstance(data, arg):
                return data
        raise DecodeError(f"{where}: {data!r} is none of {others}")
    if origin is list:
        return [from_data(args[0], item, f"{where}[{i}]") for i, item in enumerate(_expect(data, list, where))]
    if origin is tuple:
        items = _expect(data, list, where)
        item_types = [args[0]] * len(items) if len(args) == 2 and args[1] is Ellipsis else args
        pairs = enumerate(zip(item_types, items, strict=True))
        return tuple(from_data(t, item, f"{where}[{i}]") for i, (t, item) in pairs)
    if origin is dict:
        return {key: from_data(args[1], value, f"{where}.{key}") for key, value in _expect(data, dict, where).items()}
    if dataclasses.is_dataclass(cls):
        fields = hints(cls)
        data = _expect(data, dict, where)
        ignored = set(getattr(cls, "IGNORED_KEYS", ()))
        unknown = set() if "*" in ignored else set(data) - set(fields) - ignored
        if unknown:
            raise DecodeError(f"{where}: {cls.__name__} has no field {sorted(unknown)[0]!r}")
        known = {
            name: from_data(fields[name], value, f"{where}.{name}") for name, value in data.items() if name in fields
        }
        try:
            return cls(**known)
        except TypeError as exc:
            raise DecodeError(f"{where}: {exc}") from None
    if cls is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    return _expect(data, cls, where)


def _expect(data, kind, where):
    if kind is float and isinstance(data, int) and not isinstance(data, bool):
        return data
    if not isinstance(data, kind) or (kind is int and isinstance(data, bool)):
        raise DecodeError(f"{where}: {data!r} is not {kind.__name__}")
    return data


SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}


def schema(cls, defs=None):
    """The JSON Schema (draft 2020-12) of what to_data(cls) writes: every field required, no
    other key (IGNORED_KEYS aside), each dataclass once under $defs."""
    top = defs is None
    defs = {} if top else defs
    origin, args = typing.get_origin(cls), typing.get_args(cls)
    if cls is typing.Any:
        found = {}
    elif origin is typing.Literal:
        found = {"enum": list(args)}
    elif origin in (typing.Union, types.UnionType):
        found = {"anyOf": [schema(arg, defs) for arg in args]}
    elif origin in (list, tuple):
        found = {"type": "array", "items": schema(args[0], defs)}
    elif origin is dict:
        found = {"type": "object", "additionalProperties": schema(args[1], defs)}
    elif dataclasses.is_dataclass(cls):
        if cls.__name__ not in defs:
            defs[cls.__name__] = {}  # a placeholder while its fields are read
            fields = hints(cls)
            described = {
                "type": "object",
                "required": sorted(fields),
                "properties": {name: schema(hint, defs) for name, hint in fields.items()},
                "additionalProperties": "*" in getattr(cls, "IGNORED_KEYS", ()),
            }
            if cls.__doc__ and not cls.__doc__.startswith(f"{cls.__name__}("):  # not the generated one
                described["description"] = " ".join(cls.__doc__.split())
            defs[cls.__name__] = described
        found = {"$ref": f"#/$defs/{cls.__name__}"}
    elif cls is float:
        found = {"type": "number"}
    else:
        found = {"type": SCALARS[cls]}
    if top:
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", **found, "$defs": defs}
    return found
