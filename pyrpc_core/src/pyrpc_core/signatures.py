"""When two procedures' signatures give pydantic the same models: the test for reusing them after a reload.

A reload re-executes a module and registers its procedures anew. A procedure's params model
and result adapter depend only on its name, its params fields (annotation and default of each)
and its result type, so a procedure registered again with the same ones can keep the models
built before (``Procedure.reuse_models``), which is most of what re-registering costs.

"The same" is decided strictly, erring towards "not the same" (the models are then built
again, as they would have been):

- a class is the same only as itself: a class its module re-executed is another one;
- a type's arguments are compared in order, where ``==`` would not: ``int | str == str | int``,
  and pydantic tries a union's members in order;
- a default is the same as itself, or as a number, string or bytes of the same type that
  reads the same (``1`` is not ``True`` nor ``1.0``), or as a list, tuple or dict of such;
- an ``Annotated`` extra is the same as itself, or as a ``Field(...)`` whose every attribute is
  the same by these rules, or as an ``annotated_types`` constraint that reads the same and
  names no function or class; any other (a validator function, say) only as itself.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic.fields import FieldInfo

_SCALARS = (int, float, str, bytes)


def same_signature(
    fields: Mapping[str, tuple[Any, Any]], result: Any, other_fields: Mapping[str, tuple[Any, Any]], other_result: Any
) -> bool:
    """Whether params fields ``{name: (annotation, default)}`` and a result type build the same models as the others."""
    if list(fields) != list(other_fields) or not same_type(result, other_result):
        return False
    return all(
        same_type(annotation, other_annotation) and same_value(default, other_default)
        for (annotation, default), (other_annotation, other_default) in zip(
            fields.values(), other_fields.values(), strict=True
        )
    )


def same_type(a: Any, b: Any) -> bool:
    """Whether two annotations are the same type: the same classes, the same arguments in the same order."""
    if a is b:
        return True
    origin = typing.get_origin(a)
    if type(a) is not type(b) or origin is None or origin is not typing.get_origin(b):
        return False
    args, other_args = typing.get_args(a), typing.get_args(b)
    if len(args) != len(other_args):
        return False
    if origin is Annotated:
        return same_type(args[0], other_args[0]) and all(
            _same_constraint(x, y) for x, y in zip(args[1:], other_args[1:], strict=True)
        )
    if origin is Literal:
        return all(same_value(x, y) for x, y in zip(args, other_args, strict=True))
    return all(same_type(x, y) for x, y in zip(args, other_args, strict=True))


def same_value(a: Any, b: Any) -> bool:
    """Whether two defaults are the same value, of the same type, that JSON would write alike."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if type(a) in _SCALARS:
        return bool(repr(a) == repr(b))  # exact: 0.0 and -0.0 are equal, and read otherwise
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is dict:
        return list(a) == list(b) and all(same_value(a[key], b[key]) for key in a)
    return False


def _same_constraint(a: Any, b: Any) -> bool:
    """Whether two ``Annotated`` extras are the same constraint (only pydantic's ``Field`` and ``annotated_types``)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, FieldInfo):
        return all(
            _same_field_attribute(name, getattr(a, name, None), getattr(b, name, None)) for name in FieldInfo.__slots__
        )
    if type(a).__module__ == "annotated_types":  # frozen dataclasses: Ge(ge=1), MaxLen(max_length=3)
        text = repr(a)
        return "<" not in text and text == repr(b)  # "<": a function or a class, named by address
    return False


def _same_field_attribute(name: str, a: Any, b: Any) -> bool:
    if name == "metadata":  # the constraints: Field(ge=1) carries Ge(ge=1)
        return len(a) == len(b) and all(_same_constraint(x, y) for x, y in zip(a, b, strict=True))
    if name in ("annotation", "_original_annotation"):
        return same_type(a, b)
    if name == "_qualifiers":  # a set of names (class_var, final, ...)
        return bool(a == b) and all(type(x) is str for x in a)
    return same_value(a, b)  # a function (default_factory, a callable json_schema_extra) only as itself
