"""A registered procedure: a Python function plus everything captured from its signature.

All the pydantic work happens here, once, when the function is decorated: the parameters
become a model (validation), the return annotation a ``TypeAdapter`` (serialization). The
dispatcher only ever calls the prepared validators and serializers.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model
from pydantic_core import InitErrorDetails, PydanticSerializationError

from .context import Context
from .errors import RegistrationError

# The parameter model's fields are named after the parameters, so that a validated model's
# __dict__ is the call's keyword arguments as it is (the per-call hot path). A name that would
# clash with BaseModel's own attributes or namespaces (``json``, ``model_config``, ``_x``) is
# a field p<N> carrying the real name as its alias instead. Unknown names are invalid params.
_PARAMS_CONFIG = ConfigDict(extra="forbid", populate_by_name=False, arbitrary_types_allowed=False)
_TAKEN_NAMES = frozenset(dir(BaseModel))


def _field_name(parameter: str, index: int, parameters: Iterable[str]) -> str:
    """The params model's field for ``parameter``: its own name when BaseModel leaves it free."""
    if parameter not in _TAKEN_NAMES and not parameter.startswith(("_", "model_")):
        return parameter
    name = f"p{index}"
    while name in parameters:  # a parameter may itself be called p0
        name += "_"
    return name


_NO_ARGS: list[Any] = []  # shared, never mutated: most procedures take no positional-only params


@dataclass(frozen=True, eq=False)
class Procedure:
    """One callable procedure of a registry."""

    name: str
    func: Callable[..., Any]
    doc: str | None
    is_async: bool
    param_names: tuple[str, ...]
    """The wire names of the parameters, in declaration order (by-position calls follow it)."""
    positional_only: tuple[str, ...]
    """Parameters Python only accepts by position (declared before ``/``)."""
    context_param: str | None
    """The parameter annotated ``Context``, filled by the dispatcher and never on the wire."""
    params_model: type[BaseModel]
    result_adapter: TypeAdapter[Any]

    @classmethod
    def from_function(
        cls,
        func: Callable[..., Any],
        name: str | None = None,
        localns: Mapping[str, Any] | None = None,
    ) -> Procedure:
        """Capture ``func``'s signature; raise ``RegistrationError`` when JSON cannot carry it."""
        qualname = f"{func.__module__}.{func.__qualname__}"
        try:
            hints = typing.get_type_hints(func, localns=dict(localns or {}), include_extras=True)
        except NameError as exc:
            raise RegistrationError(
                f"cannot resolve the annotations of {qualname}: {exc}; define the types it uses before the function"
            ) from exc
        signature = inspect.signature(func)

        fields: dict[str, Any] = {}
        param_names: list[str] = []
        positional_only: list[str] = []
        context_param: str | None = None
        for parameter in signature.parameters.values():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise RegistrationError(
                    f"{qualname} takes *{parameter.name}; a procedure's parameters must be named "
                    "so that the schema can describe them"
                )
            annotation = hints.get(parameter.name, Any)
            if annotation is Context:
                context_param = parameter.name
                continue
            default = ... if parameter.default is parameter.empty else parameter.default
            field_name = _field_name(parameter.name, len(param_names), signature.parameters)
            if field_name != parameter.name:
                annotation = Annotated[annotation, Field(alias=parameter.name)]
            fields[field_name] = (annotation, default)
            param_names.append(parameter.name)
            if parameter.kind is parameter.POSITIONAL_ONLY:
                positional_only.append(parameter.name)

        procedure_name = name if name is not None else func.__name__
        try:
            params_model = create_model(f"{procedure_name}.params", __config__=_PARAMS_CONFIG, **fields)
            result_adapter: TypeAdapter[Any] = TypeAdapter(hints.get("return", Any))
        except Exception as exc:  # pydantic raises several error types for unsupported annotations
            raise RegistrationError(f"cannot register {qualname}: {exc}") from exc

        return cls(
            name=procedure_name,
            func=func,
            doc=inspect.getdoc(func),
            is_async=inspect.iscoroutinefunction(func),
            param_names=tuple(param_names),
            positional_only=tuple(positional_only),
            context_param=context_param,
            params_model=params_model,
            result_adapter=result_adapter,
        )

    # The validator and serializer themselves, not model_validate and dump_json: they are on
    # the per-call hot path. Looked up on first use, when every model is complete.
    @cached_property
    def _validate(self) -> Callable[[Any], BaseModel]:
        return self.params_model.__pydantic_validator__.validate_python

    @cached_property
    def _serialize(self) -> Callable[..., bytes]:
        return self.result_adapter.serializer.to_json

    @cached_property
    def _fields_are_names(self) -> bool:
        """Whether every field of the params model is named after its parameter (no aliases needed)."""
        return tuple(self.params_model.model_fields) == self.param_names

    @cached_property
    def params_adapter(self) -> TypeAdapter[Any]:
        """The params model as a ``TypeAdapter``, for the schema (made once, on first use)."""
        return TypeAdapter(self.params_model)

    def validate_params(self, params: Any) -> tuple[list[Any], dict[str, Any]]:
        """Turn JSON-RPC ``params`` (an object, an array or absent) into call arguments.

        Raises ``pydantic.ValidationError``; the dispatcher answers it with -32602.
        """
        if isinstance(params, list):
            if len(params) > len(self.param_names):
                raise ValidationError.from_exception_data(
                    self.params_model.__name__,
                    [
                        InitErrorDetails(type="unexpected_positional_argument", loc=(index,), input=value)
                        for index, value in enumerate(params[len(self.param_names) :], len(self.param_names))
                    ],
                )
            params = dict(zip(self.param_names, params, strict=False))
        elif params is None:
            params = {}
        validated = self._validate(params).__dict__
        kwargs = validated if self._fields_are_names else dict(zip(self.param_names, validated.values(), strict=True))
        if not self.positional_only:
            return _NO_ARGS, kwargs
        return [kwargs.pop(name) for name in self.positional_only], kwargs

    def serialize_result(self, result: Any) -> bytes:
        """The result as JSON bytes, in the shape the schema's ``result`` promises.

        The fast path serializes as is; a value of another shape (a dict returned for a
        model, say) is validated into the declared type first, as FastAPI does with
        ``response_model``. A value that cannot be made to fit raises ``ValidationError``.
        """
        try:
            return self._serialize(result, warnings="error")
        except PydanticSerializationError:
            return self.result_adapter.dump_json(self.result_adapter.validate_python(result))
