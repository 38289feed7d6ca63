"""A registered procedure: a Python function plus everything captured from its signature.

All the pydantic work happens here, once, when the function is decorated: the parameters
become a model (validation), the return annotation a ``TypeAdapter`` (serialization). The
dispatcher only ever calls the prepared validators and serializers.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import inspect
import os
import re
import sys
import typing
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    AliasPath,
    BaseModel,
    ConfigDict,
    Field,
    PydanticSchemaGenerationError,
    TypeAdapter,
    ValidationError,
    create_model,
)
from pydantic.fields import FieldInfo
from pydantic_core import InitErrorDetails, PydanticSerializationError

from .context import Context
from .errors import AnnotationWarning, RegistrationError, RpcError, declared_data, fixed_code
from .signatures import same_signature

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


def _schema_name(field_name: str, field: FieldInfo) -> str:
    """The property name the schema gives a params field: pydantic's rule for validation aliases.

    A string alias; else the first choice that is a single name; else the field's own name.
    """
    alias = field.validation_alias
    if isinstance(alias, str):
        return alias
    paths = [alias.convert_to_aliases()] if isinstance(alias, AliasPath) else []
    if isinstance(alias, AliasChoices):
        paths = alias.convert_to_aliases()
    for path in paths:
        if len(path) == 1 and isinstance(path[0], str):
            return path[0]
    return field_name


_MODELS = ("params_model", "result_adapter", "params_adapter")
"""What pydantic builds for a procedure from its signature alone (``reuse_models`` hands them on)."""
_NO_ARGS: list[Any] = []  # shared, never mutated: most procedures take no positional-only params
_UNANNOTATED = object()


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
    params_fields: Mapping[str, tuple[Any, Any]]
    """The params model's fields, ``{field name: (annotation, default)}``; ``params_model`` is built from them."""
    result_type: Any
    """The result's type; of a streaming procedure, the type of each item."""
    is_stream: bool = False
    """A generator function: each item it yields reaches the client as it comes (see ``stream.py``)."""
    timeout: float | None = None
    """Seconds a call may take, guards included (``@rpc(timeout=...)``); None: the endpoint's ``Limits.timeout``."""
    idempotent: bool = False
    """Calling it twice does what calling it once does (``@rpc(idempotent=True)``): clients may retry it."""
    thread: bool = True
    """A sync procedure runs in a worker thread under ASGI; ``@rpc(thread=False)`` runs it on the event loop."""
    errors: tuple[type[RpcError], ...] = ()
    """The declared errors (``@rpc(errors=[...])``), sorted by code: ``RpcError`` subclasses with a fixed code."""

    @classmethod
    def from_function(
        cls,
        func: Callable[..., Any],
        name: str | None = None,
        localns: Mapping[str, Any] | None = None,
    ) -> Procedure:
        """Capture ``func``'s signature; raise ``RegistrationError`` when JSON cannot carry it."""
        try:
            hints = typing.get_type_hints(func, localns=dict(localns or {}), include_extras=True)
        except NameError as exc:
            raise RegistrationError(
                f"cannot resolve the annotations of {_describe(func)}: {exc}; "
                "define the types it uses before the function"
            ) from exc
        signature = inspect.signature(func)

        fields: dict[str, Any] = {}
        param_names: list[str] = []
        positional_only: list[str] = []
        context_param: str | None = None
        unannotated: list[str] = []
        for parameter in signature.parameters.values():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise RegistrationError(
                    f"{_describe(func)} takes *{parameter.name}; a procedure's parameters must be named "
                    "so that the schema can describe them"
                )
            annotation = hints.get(parameter.name, _UNANNOTATED)
            if annotation is Context:
                context_param = parameter.name
                continue
            if annotation is _UNANNOTATED:
                unannotated.append(parameter.name)
                annotation = Any
            default = ... if parameter.default is parameter.empty else parameter.default
            field_name = _field_name(parameter.name, len(param_names), signature.parameters)
            if field_name != parameter.name:
                annotation = Annotated[annotation, Field(alias=parameter.name)]
            fields[field_name] = (annotation, default)
            param_names.append(parameter.name)
            if parameter.kind is parameter.POSITIONAL_ONLY:
                positional_only.append(parameter.name)

        procedure_name = name if name is not None else func.__name__
        is_stream = inspect.isasyncgenfunction(func) or inspect.isgeneratorfunction(func)
        result = hints.get("return", Any)
        if is_stream:  # a generator: each item is a result, of the type its annotation iterates over
            result = _item_type(func, result)
        # pydantic builds the models on first use (a call, or the schema): that is most of the
        # cost of a procedure, and an API's start-up should not pay it for all of them. The
        # usual mistake, a plain class of one's own as a type, is caught now all the same.
        for label, annotation in [
            *((f"parameter {p!r}", hints.get(p, Any)) for p in param_names),
            ("the result", result),
        ]:
            plain = _plain_class(annotation)
            if plain is not None:
                raise _plain_class_error(func, label, annotation, plain.__name__)
        if unannotated or "return" not in hints:
            _warn_unannotated(func, procedure_name, unannotated, "return" not in hints)

        return cls(
            name=procedure_name,
            func=func,
            doc=inspect.getdoc(func),
            is_async=inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func),
            is_stream=is_stream,
            param_names=tuple(param_names),
            positional_only=tuple(positional_only),
            context_param=context_param,
            params_fields=fields,
            result_type=result,
        )

    def reuse_models(self, earlier: Procedure) -> bool:
        """Take the params model and result adapter ``earlier`` built, if this procedure's would be the same.

        A reload registers the procedures of a re-executed module anew; those whose name, params
        and result type did not change (``signatures.same_signature``) keep what pydantic built
        for them, which is most of what registering them again costs. True when taken.
        """
        built = {name: earlier.__dict__[name] for name in _MODELS if name in earlier.__dict__}
        if not built or earlier is self or earlier.name != self.name or any(name in self.__dict__ for name in _MODELS):
            return False
        if not same_signature(self.params_fields, self.result_type, earlier.params_fields, earlier.result_type):
            return False
        self.__dict__.update(built)  # where cached_property keeps them: as if built here
        return True

    @cached_property
    def params_model(self) -> type[BaseModel]:
        """The parameters as a pydantic model (validation), built on first use."""
        try:
            fields: dict[str, Any] = dict(self.params_fields)
            return create_model(f"{self.name}.params", __config__=_PARAMS_CONFIG, **fields)
        except Exception as exc:  # pydantic raises several error types for unsupported annotations
            suspects = [
                (f"parameter {name!r}", field[0])
                for name, field in zip(self.param_names, self.params_fields.values(), strict=True)
            ]
            raise _unsupported(self.func, suspects, exc) from exc

    @cached_property
    def result_adapter(self) -> TypeAdapter[Any]:
        """The result's type as a ``TypeAdapter`` (serialization), built on first use."""
        try:
            return TypeAdapter(self.result_type)
        except Exception as exc:
            raise _unsupported(self.func, [("the result", self.result_type)], exc) from exc

    # The validator and serializer themselves, not model_validate and dump_json: they are on
    # the per-call hot path. Looked up on first use, when every model is complete.
    @cached_property
    def _validate(self) -> Callable[..., BaseModel]:
        return self.params_model.__pydantic_validator__.validate_python

    @cached_property
    def _serialize(self) -> Callable[..., bytes]:
        return self.result_adapter.serializer.to_json

    @cached_property
    def _fields_are_names(self) -> bool:
        """Whether every field of the params model is named after its parameter (no aliases needed)."""
        return tuple(self.params_model.model_fields) == self.param_names

    @cached_property
    def _positional_keys(self) -> tuple[str, ...]:
        """The names by-position values are read under: each parameter's name in the schema (its alias, if any)."""
        return tuple(_schema_name(name, field) for name, field in self.params_model.model_fields.items())

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
            params = dict(zip(self._positional_keys, params, strict=False))
        elif params is None:
            params = {}
        # by_alias=True even where a model's config says otherwise: the schema names fields by alias.
        validated = self._validate(params, by_alias=True).__dict__
        kwargs = validated if self._fields_are_names else dict(zip(self.param_names, validated.values(), strict=True))
        if not self.positional_only:
            return _NO_ARGS, kwargs
        return [kwargs.pop(name) for name in self.positional_only], kwargs

    def serialize_result(self, result: Any) -> bytes:
        """The result as JSON bytes, in the shape the schema's ``result`` promises.

        Fields go out by alias, as the schema names them (FastAPI's ``response_model`` does
        the same), whatever a model's ``serialize_by_alias`` says. The fast path serializes as
        is; a value of another shape (a dict returned for a model, say) is validated into the
        declared type first, its keys by alias or by field name: it is the procedure's own
        Python value, not the wire. A value that cannot be made to fit raises ``ValidationError``.
        """
        try:
            return self._serialize(result, warnings="error", by_alias=True)
        except PydanticSerializationError:
            adapter = self.result_adapter
            return adapter.dump_json(adapter.validate_python(result, by_alias=True, by_name=True), by_alias=True)


# The codes JSON-RPC 2.0 reserves for the protocol and for implementations (pyRPC's own among them).
_RESERVED_CODES = range(-32768, -32000 + 1)
_MAX_SAFE_INTEGER = 2**53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER


def check_errors(
    func: Callable[..., Any], errors: Iterable[Any], localns: Mapping[str, Any] | None = None
) -> tuple[type[RpcError], ...]:
    """The declared errors of ``@rpc(errors=[...])``, checked, sorted by code; else a ``RegistrationError``.

    Each must be an ``RpcError`` subclass with a fixed integer ``code`` outside JSON-RPC's
    reserved range (-32768..-32000), no two with the same code, and its ``data`` annotation
    (if any) a type pydantic can take.
    """
    if type(errors) in (tuple, list) and not errors:
        return ()  # the usual case: naming the function for the messages below costs more than the rest
    where = f"cannot register {_describe(func)}: @rpc(errors=[...])"
    if isinstance(errors, (str, bytes)) or not isinstance(errors, Iterable):
        raise RegistrationError(f"{where} takes a list of RpcError subclasses, not {errors!r}")
    checked: dict[int, type[RpcError]] = {}
    for error in errors:
        if not isinstance(error, type) or not issubclass(error, RpcError) or error is RpcError:
            what = "RpcError itself" if error is RpcError else repr(error)
            raise RegistrationError(
                f"{where} lists {what}; list RpcError subclasses with a fixed code: "
                "class NotFound(RpcError): code = 4004"
            )
        code = fixed_code(error)
        if code is None:
            raise RegistrationError(
                f"{where} lists {error.__name__}, which has no fixed code; "
                f"give it one: class {error.__name__}(RpcError): code = 4004"
            )
        if code in _RESERVED_CODES:
            raise RegistrationError(
                f"{where} lists {error.__name__}, whose code {code} is in the range JSON-RPC reserves "
                "(-32768..-32000); give it an application code outside it, e.g. 4004"
            )
        if abs(code) > _MAX_SAFE_INTEGER:
            raise RegistrationError(
                f"{where} lists {error.__name__}, whose code {code} is beyond 2^53: a JavaScript client "
                "cannot hold it exactly; give it a smaller code"
            )
        other = checked.get(code)
        if other is not None and other is not error:
            raise RegistrationError(
                f"{where} lists {other.__name__} and {error.__name__}, both with code {code}: "
                "a client tells declared errors apart by code; give each its own"
            )
        try:
            declared, data_type = declared_data(error, localns)
        except NameError as exc:
            raise RegistrationError(
                f"{where}: cannot resolve the data annotation of {error.__name__}: {exc}; "
                "define the types it uses before the class"
            ) from exc
        plain = _plain_class(data_type) if declared else None
        if plain is not None:
            raise _plain_class_error(func, f"the data of {error.__name__}", data_type, plain.__name__)
        checked[code] = error
    return tuple(checked[code] for code in sorted(checked))


# -- registration messages -----------------------------------------------------------------

_FIX = "use a pydantic BaseModel, a dataclass or a TypedDict"
_UNKNOWN_TYPE = re.compile(r"schema for (<class '(?P<path>[^']+)'>|(?P<other>\S+?))\.? ")
_DOTTED_PREFIX = re.compile(r"(?<![\w.<>'\"])[\w.<>]*\.(?=\w)")


def _location(func: Callable[..., Any]) -> tuple[str, int] | None:
    """The file (relative to the working folder when inside it) and line where ``func`` is defined."""
    code = getattr(inspect.unwrap(func), "__code__", None)
    if code is None:
        return None
    filename: str = code.co_filename
    try:
        relative = os.path.relpath(filename)
        if not relative.startswith(os.pardir):
            filename = relative
    except ValueError:  # another drive, or no working folder
        pass
    return filename, code.co_firstlineno


def _describe(func: Callable[..., Any]) -> str:
    """``module.function (file:line)``, as messages name a procedure's function."""
    location = _location(func)
    where = f" ({location[0]}:{location[1]})" if location is not None else ""
    return f"{func.__module__}.{func.__qualname__}{where}"


def _type_name(annotation: Any) -> str:
    """An annotation as its code reads, without module paths: ``list[User]``, ``User | None``."""
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    return _DOTTED_PREFIX.sub("", repr(annotation))


def _unsupported(func: Callable[..., Any], suspects: Sequence[tuple[str, Any]], exc: Exception) -> RegistrationError:
    """The error for an annotation pydantic cannot handle, naming the parameter (or the result) and the type."""
    culprit = suspects[0] if len(suspects) == 1 else None
    for label, annotation in suspects if culprit is None else ():
        try:
            TypeAdapter(annotation)
        except Exception:
            culprit = (label, annotation)
            break
    unknown = _UNKNOWN_TYPE.search(str(exc)) if isinstance(exc, PydanticSchemaGenerationError) else None
    if culprit is not None and unknown is not None:
        label, annotation = culprit
        path = unknown.group("path")
        plain = path.rsplit(".", 1)[-1] if path else unknown.group("other")
        return _plain_class_error(func, label, annotation, plain)
    # Anything else pydantic refuses: its message, without advice that does not apply to procedures.
    lines = [line for line in str(exc).splitlines() if line.strip() and "arbitrary_types_allowed" not in line]
    reason = " ".join(line.strip() for line in lines if not line.startswith("For further information"))
    subject = f"{culprit[0]} ({_type_name(culprit[1])}): " if culprit is not None else ""
    return RegistrationError(f"cannot register {_describe(func)}: {subject}{reason or type(exc).__name__}")


def _warn_unannotated(func: Callable[..., Any], procedure: str, params: Sequence[str], no_return: bool) -> None:
    """An ``AnnotationWarning`` per unannotated parameter (and for a missing result), at the function's line."""
    messages = [
        f"procedure {procedure!r}: parameter {param!r} has no annotation: "
        "it accepts any JSON value and is typed `unknown` in TypeScript"
        for param in params
    ]
    if no_return:
        messages.append(
            f"procedure {procedure!r} has no return annotation: its result is any JSON value and is typed "
            "`unknown` in TypeScript (annotate it `-> None` when it returns nothing)"
        )
    code = getattr(inspect.unwrap(func), "__code__", None)
    module_globals = getattr(func, "__globals__", None)
    for message in messages:
        if code is None or not isinstance(module_globals, dict):
            warnings.warn(message, AnnotationWarning, stacklevel=4)
            continue
        warnings.warn_explicit(
            message,
            AnnotationWarning,
            code.co_filename,
            code.co_firstlineno,
            module=func.__module__,
            registry=module_globals.setdefault("__warningregistry__", {}),
            module_globals=module_globals,
        )


_STREAMS = {
    collections.abc.AsyncIterator,
    collections.abc.AsyncIterable,
    collections.abc.AsyncGenerator,
    collections.abc.Iterator,
    collections.abc.Iterable,
    collections.abc.Generator,
}


def _item_type(func: Callable[..., Any], annotation: Any) -> Any:
    """``T`` of a generator's ``-> AsyncIterator[T]`` (or ``Iterator[T]``, ``AsyncGenerator[T, None]``...)."""
    if annotation is Any:
        return Any
    if typing.get_origin(annotation) in _STREAMS and typing.get_args(annotation):
        return typing.get_args(annotation)[0]
    raise RegistrationError(
        f"{_describe(func)} is a generator, so it streams: annotate its result as the items it yields, "
        f"e.g. -> AsyncIterator[Step] (or Iterator[Step]), not {annotation!r}"
    )


_SCHEMA_HOOKS = ("__get_pydantic_core_schema__", "__pydantic_core_schema__", "__get_pydantic_json_schema__")


def _plain_class(annotation: Any, seen: set[int] | None = None) -> type | None:
    """A plain class of the user's own inside ``annotation`` (``list[Plain] | None`` holds ``Plain``), or None.

    Only what is surely a mistake counts: a class of a module that is neither the standard
    library nor an installed package, that is not a model, dataclass, TypedDict, NamedTuple or
    enum and has no pydantic schema hook. Anything else waits for pydantic, on first use.
    """
    seen = seen if seen is not None else set()
    if id(annotation) in seen:
        return None
    seen.add(id(annotation))
    for argument in typing.get_args(annotation):
        found = _plain_class(argument, seen)
        if found is not None:
            return found
    if not isinstance(annotation, type) or typing.get_args(annotation):
        return None
    if dataclasses.is_dataclass(annotation):
        try:
            hints = typing.get_type_hints(annotation)
        except Exception:
            return None
        for hint in hints.values():
            found = _plain_class(hint, seen)
            if found is not None:
                return found
        return None
    if (
        issubclass(annotation, (BaseModel, enum.Enum, tuple, dict))  # tuple: NamedTuple; dict: TypedDict at runtime
        or typing.is_typeddict(annotation)
        or any(hasattr(annotation, hook) for hook in _SCHEMA_HOOKS)
        or type(annotation) is not type  # a metaclass of its own: a library's type, pydantic decides
    ):
        return None
    module = sys.modules.get(annotation.__module__)
    filename = getattr(module, "__file__", None)
    if annotation.__module__ in sys.stdlib_module_names or annotation.__module__ == "builtins":
        return None
    if not isinstance(filename, str) or any(part in filename for part in ("site-packages", "dist-packages")):
        return None
    return annotation


def _plain_class_error(func: Callable[..., Any], label: str, annotation: Any, plain: str) -> RegistrationError:
    """The error for ``label`` annotated ``annotation``, in which ``plain`` is a class pydantic cannot take."""
    typed = _type_name(annotation)
    what = f"{typed}, a plain class" if typed == plain else f"{typed}, and {plain} is a plain class"
    return RegistrationError(
        f"cannot register {_describe(func)}: {label} is annotated {what} "
        f"that pydantic cannot validate or turn into JSON; {_FIX}"
    )
