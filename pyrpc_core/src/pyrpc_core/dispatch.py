"""The JSON-RPC 2.0 dispatcher: request bytes in, response bytes (or nothing) out.

It knows nothing of HTTP and nothing of plugins: ``pyrpc_core.endpoint.Endpoint`` hands it
the raw body and a ``Context`` and makes the HTTP reply of what it returns (bytes, or
``None`` when there is nothing to answer: notifications only). The endpoint also gives it the
``pyrpc_call`` hook as ``around_call``, when a plugin implements it.

The hot path is: parse with pydantic-core, check the request object, validate params with
the model prepared at decoration time, call, serialize the result straight to bytes, and
splice those bytes into the response envelope. From an event loop, a single call of a sync
procedure takes that whole path in a worker thread, the loop only reading the first bytes of
the body to see where it goes (``Dispatcher.dispatch``).

Hostile input is answered, never crashed on: the ``Limits`` are checked around the parse
(cheaply: see ``limits.py``), and any unexpected exception anywhere on the way becomes
-32603 "Internal error" whose ``data`` holds only a ``request_id``, the id under which the
traceback was logged (``debug=True`` adds the exception's type, text and traceback).
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import secrets
import threading
import traceback
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError, from_json, to_json

from .context import Context
from .errors import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    STREAM_ONLY,
    TIMEOUT,
    RpcError,
    exits_as_errors,
)
from .limits import Limits, limit_error
from .procedure import Procedure
from .registry import Registry
from .timers import timers
from .workers import Workers

logger = logging.getLogger("pyrpc")

T = TypeVar("T")

_NULL = b"null"

_HEAD_BYTES = 256
"""How much of a body ``Dispatcher.dispatch`` reads to find the method of a single call."""

CallWrapper = Callable[[Procedure, Mapping[str, Any], Context, Callable[[], Any]], Any]
"""``around(procedure, params, context, call)``: runs ``call()`` (the procedure) and returns its result.

``plugins.CallHook`` is one; it also has ``run_async`` to await an async procedure inside it.
"""


@dataclass(slots=True, eq=False)  # eq=False: hashed by identity, a key of the deadline timers
class _Call:
    """A request that passed every check and is ready to run."""

    procedure: Procedure
    args: list[Any]
    kwargs: dict[str, Any]
    id: bytes | None
    """The request id as JSON, or None for a notification."""
    context: _LazyContext


ContextSource = Context | Callable[[], Context] | None
"""What adapters pass for a request's context: the ``Context``, a function making it, or None."""


class _LazyContext:
    """The request's ``Context``, made on first use and then shared by every call of a batch."""

    __slots__ = ("_context", "_make")

    def __init__(self, source: ContextSource) -> None:
        self._context = source if isinstance(source, Context) else None
        self._make = source if callable(source) else Context

    def get(self) -> Context:
        if self._context is None:
            self._context = self._make()
        return self._context


@dataclass(frozen=True)
class _Routes:
    """Where the calls of sync procedures go under ASGI (``Dispatcher._routing``)."""

    whole: frozenset[str]
    """The procedures whose single calls are answered whole in a worker thread, parsing included."""
    guards_on_loop: bool
    """The registry has an async guard: a sync procedure's guards run on the loop before it
    takes a thread (waiting on an async guard must not hold one); else in its thread."""


# What checking one request object gives: a call to run, a finished answer, or nothing to say.
_Checked = _Call | bytes | None


class Dispatcher:
    """Answers JSON-RPC 2.0 requests for the procedures of one registry.

    ``debug=True`` puts the exception type, message and traceback of unexpected errors into
    the error's ``data``; never turn it on where clients are not trusted. ``limits`` bounds
    what one request may hold (``Limits()``, safe defaults, when None). ``around_call`` runs
    each call (the ``pyrpc_call`` hook); None calls procedures directly.
    """

    def __init__(
        self,
        registry: Registry,
        *,
        debug: bool = False,
        limits: Limits | None = None,
        around_call: CallWrapper | None = None,
    ) -> None:
        self.registry = registry
        self.debug = debug
        self.limits = limits if limits is not None else Limits()
        self.around_call = around_call
        self._loop: _LoopThread | None = None
        self._loop_lock = threading.Lock()
        self._threads = Workers(self.limits.threads, "pyrpc-sync")
        self._waiting_threads: ThreadPoolExecutor | None = None
        self._routes: tuple[int, _Routes] | None = None
        """The ``_Routes`` of the registry at a version (adding a guard makes a new version)."""

    @property
    def waiting(self) -> int:
        """Sync calls handed to the worker threads and not started yet (``Limits.max_waiting``)."""
        return self._threads.waiting

    # -- guards ----------------------------------------------------------------------------

    async def run_guards(self, procedure: Procedure, context: ContextSource = None) -> None:
        """Run the registry's guards for ``procedure`` (an ``RpcError`` refuses it): for calls and for ``GET``."""
        await self._guard(procedure, _LazyContext(context))

    def run_guards_sync(self, procedure: Procedure, context: ContextSource = None) -> None:
        """``run_guards`` from a worker thread (WSGI); async guards run on the dispatcher's loop."""
        self._guard_sync(procedure, _LazyContext(context))

    # -- dispatching ---------------------------------------------------------------------

    async def dispatch(self, body: bytes, context: ContextSource = None) -> bytes | None:
        """Answer ``body`` from an event loop; sync procedures run in worker threads.

        ``context`` is the request's ``Context``, or a function that makes it: then it is
        made only when a procedure or a guard needs it, which most calls never do.

        A single call of a sync procedure is answered whole in a worker thread: parsed,
        validated, run and serialized there, while the loop holds only the body's bytes. Its
        objects are then made and freed in one go, in one thread; held across the hop by the
        loop, many requests' validated params at once kept the garbage collector busy.
        """
        try:
            if self._runs_in_thread(body):
                loop = asyncio.get_running_loop()
                return await self._threads.run(contextvars.copy_context(), self._dispatch_sync, body, context, loop)
            checked, is_batch = self._check_body(body, _LazyContext(context))
            return await self._answer_checked(checked, is_batch)
        except Exception as exc:  # a bug of ours or an adapter's: still a JSON-RPC answer
            return self.internal_error(_NULL, exc, "dispatching a request failed")

    async def open_stream(self, body: bytes, context: ContextSource = None) -> EventSource | bytes | None:
        """``dispatch`` for a client that takes ``text/event-stream``: a single call of a streaming
        procedure that passes every check and the guards is a ``StreamCall`` to run, a batch with
        answers a ``BatchStream`` (its answers as they come); anything else is answered as
        ``dispatch`` answers it."""
        try:
            lazy = _LazyContext(context)
            checked, is_batch = self._check_body(body, lazy, streams=True)
            if is_batch and _answerable(checked):
                return BatchStream(self, checked, lazy)
            call = _streaming(checked, is_batch)
            if call is None:
                return await self._answer_checked(checked, is_batch)
            try:
                if self.registry.guards:
                    await self._guard(call.procedure, call.context)
            except (Exception, SystemExit) as exc:
                return self._failure(call, exc)
            return StreamCall(self, call)
        except Exception as exc:  # a bug of ours or an adapter's: still a JSON-RPC answer
            return self.internal_error(_NULL, exc, "dispatching a request failed")

    def open_stream_sync(self, body: bytes, context: ContextSource = None) -> EventSource | bytes | None:
        """``open_stream`` from a worker thread (WSGI): the guards run here (async ones on the
        dispatcher's loop), anything but a streaming call is answered as ``dispatch_sync`` answers it."""
        try:
            lazy = _LazyContext(context)
            checked, is_batch = self._check_body(body, lazy, streams=True)
            if is_batch and _answerable(checked):
                return BatchStream(self, checked, lazy)
            call = _streaming(checked, is_batch)
            if call is None:
                return self._answer_checked_sync(checked, is_batch)
            try:
                if self.registry.guards:
                    self._guard_sync(call.procedure, call.context)
            except (Exception, SystemExit) as exc:
                return self._failure(call, exc)
            return StreamCall(self, call)
        except Exception as exc:  # a bug of ours or an adapter's: still a JSON-RPC answer
            return self.internal_error(_NULL, exc, "dispatching a request failed")

    def dispatch_sync(self, body: bytes, context: ContextSource = None) -> bytes | None:
        """Answer ``body`` from a worker thread (WSGI): sync procedures run right here.

        Async procedures run on one event loop per dispatcher, kept in a background thread,
        so no loop is made (or leaked) per request and async resources stay on one loop.
        """
        return self._dispatch_sync(body, context, None)

    def _dispatch_sync(
        self, body: bytes, context: ContextSource, loop: asyncio.AbstractEventLoop | None
    ) -> bytes | None:
        """``dispatch_sync``, its async parts on ``loop`` (the request's, for ``dispatch``) when given."""
        try:
            checked, is_batch = self._check_body(body, _LazyContext(context))
            return self._answer_checked_sync(checked, is_batch, loop)
        except Exception as exc:  # a bug of ours or an adapter's: still a JSON-RPC answer
            return self.internal_error(_NULL, exc, "dispatching a request failed")

    def _routing(self) -> _Routes:
        """Where sync calls go, for the registry as it is now (recomputed when it changes)."""
        registry = self.registry
        if self._routes is None or self._routes[0] != registry.version:
            guards_on_loop = any(inspect.iscoroutinefunction(guard) for guard in registry.guards)
            whole = frozenset(
                procedure.name
                for procedure in registry
                if not (procedure.is_async or procedure.is_stream or guards_on_loop)
                and procedure.thread
                and (procedure.timeout or self.limits.timeout) is None
            )
            self._routes = (registry.version, _Routes(whole, guards_on_loop))
        return self._routes[1]

    def _runs_in_thread(self, body: bytes) -> bool:
        """Whether ``body``'s first bytes name a sync procedure whose single call is answered whole in a thread.

        Only a hint, so a few bytes do: a batch, a body naming its method late, or anything
        else goes the usual way, and the worker answers whatever the whole body turns out to be.
        A deadline needs the loop to keep it, and an async guard should wait on the loop
        holding no thread, so such calls go the usual way too.
        """
        names = self._routing().whole
        if not names:
            return False
        try:
            head = from_json(body[:_HEAD_BYTES], allow_partial=True)
        except ValueError:
            return False
        method = head.get("method") if isinstance(head, dict) else None
        return isinstance(method, str) and method in names

    async def _answer_checked(self, checked: list[_Checked], is_batch: bool) -> bytes | None:
        """The answer to checked requests, from the event loop."""
        if not is_batch:
            item = checked[0]
            return await self._answer(item) if isinstance(item, _Call) else item
        answers = await self._answer_all([item for item in checked if isinstance(item, _Call)])
        return _join(_merge(checked, answers))

    def _answer_checked_sync(
        self, checked: list[_Checked], is_batch: bool, loop: asyncio.AbstractEventLoop | None = None
    ) -> bytes | None:
        """The answer to checked requests, from a worker thread: sync calls here, async ones on a loop."""
        if not is_batch:
            item = checked[0]
            if not isinstance(item, _Call):
                return item
            if not item.procedure.is_async:
                return self._answer_inline(item, loop)
        calls = [item for item in checked if isinstance(item, _Call)]
        async_calls = [call for call in calls if call.procedure.is_async]
        pending: Future[list[bytes | None]] | None = None
        if async_calls:
            # Submitted first, so that the async calls of a batch overlap with the sync ones.
            pending = self._submit(self._answer_all(async_calls), loop)
        inline = [None if call.procedure.is_async else self._answer_inline(call, loop) for call in calls]
        awaited = iter(pending.result() if pending is not None else ())
        answers = _merge(
            checked,
            [next(awaited) if call.procedure.is_async else answer for call, answer in zip(calls, inline, strict=True)],
        )
        return _join(answers) if is_batch else answers[0]

    # -- checking ------------------------------------------------------------------------

    def _check_body(self, body: bytes, context: _LazyContext, streams: bool = False) -> tuple[list[_Checked], bool]:
        limits = self.limits
        if len(body) > limits.max_body_bytes:  # adapters refuse earlier, with 413; this is for direct callers
            return [self._limit_error("max_body_bytes")], False
        try:
            payload = from_json(body, allow_inf_nan=False)
        except ValueError as exc:
            if "recursion limit" in str(exc):  # deeper than the parser goes: the depth limit
                return [self._limit_error("max_depth")], False
            return [_error(_NULL, PARSE_ERROR, "Parse error")], False
        scan = limits.may_exceed(body)
        if isinstance(payload, list):
            if not payload:
                return [_error(_NULL, INVALID_REQUEST, "Invalid Request", "empty batch")], False
            if len(payload) > limits.max_batch:
                return [self._limit_error("max_batch")], False
            if scan:
                return [
                    self._limit_error(excess) if (excess := limits.excess(item, 1)) else self._check(item, context)
                    for item in payload
                ], True
            return [self._check(item, context) for item in payload], True
        if scan and (excess := limits.excess(payload)):
            return [self._limit_error(excess)], False
        return [self._check(payload, context, streams)], False

    def _limit_error(self, name: str) -> bytes:
        error = limit_error(self.limits, name)
        return _error(_NULL, error["code"], error["message"], error["data"])

    def _check(self, request: Any, context: _LazyContext, streams: bool = False) -> _Checked:
        """Check one request object against the specification and the procedure's params.

        A streaming procedure is only called with ``streams`` (a single request whose client
        takes ``text/event-stream``); otherwise it is answered ``STREAM_ONLY``, never run.
        """
        if not isinstance(request, dict):
            return _error(_NULL, INVALID_REQUEST, "Invalid Request", "a request must be a JSON object")
        is_notification = "id" not in request
        request_id = request.get("id")
        if not (request_id is None or isinstance(request_id, (str, int, float))) or isinstance(request_id, bool):
            return _error(_NULL, INVALID_REQUEST, "Invalid Request", "id must be a string, a number or null")
        id_json = to_json(request_id)
        if request.get("jsonrpc") != "2.0":
            return _error(id_json, INVALID_REQUEST, "Invalid Request", 'jsonrpc must be exactly "2.0"')
        method = request.get("method")
        if not isinstance(method, str):
            return _error(id_json, INVALID_REQUEST, "Invalid Request", "method must be a string")
        params = request.get("params")
        if "params" in request and not isinstance(params, (list, dict)):
            return _error(id_json, INVALID_REQUEST, "Invalid Request", "params must be an array or an object")

        procedure = self.registry.get(method)
        if procedure is None:
            return None if is_notification else _error(id_json, METHOD_NOT_FOUND, "Method not found", method)
        if procedure.is_stream and (is_notification or not streams):
            message = f"Stream: {method} streams its results; call it alone, with Accept: text/event-stream"
            return None if is_notification else _error(id_json, STREAM_ONLY, message)
        try:
            args, kwargs = procedure.validate_params(params)
            if procedure.context_param is not None:
                kwargs[procedure.context_param] = context.get()
        except ValidationError as exc:
            if is_notification:
                return None
            return _error_raw(id_json, INVALID_PARAMS, "Invalid params", exc.json(include_url=False).encode())
        except Exception as exc:  # a validator raising something else, or the adapter's context failing
            answer = self.internal_error(id_json, exc, f"checking the params of {procedure.name!r} failed")
            return None if is_notification else answer
        return _Call(procedure, args, kwargs, None if is_notification else id_json, context)

    # -- calling -------------------------------------------------------------------------

    async def _guard(self, procedure: Procedure, context: _LazyContext) -> None:
        """Run the registry's guards before ``procedure``; a guard refuses by raising."""
        for guard in self.registry.guards:
            outcome = guard(procedure, context.get())
            if inspect.isawaitable(outcome):
                await outcome

    def _guard_sync(
        self, procedure: Procedure, context: _LazyContext, loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        """``_guard`` from a worker thread: async guards run on ``loop``, or the dispatcher's own."""
        for guard in self.registry.guards:
            outcome = guard(procedure, context.get())
            if inspect.isawaitable(outcome):
                self._submit(_awaited(outcome), loop).result()

    def _submit(self, coroutine: Coroutine[Any, Any, T], loop: asyncio.AbstractEventLoop | None) -> Future[T]:
        """Run ``coroutine`` from a worker thread: on ``loop`` (the request's, under ASGI), else on
        the dispatcher's own loop thread (WSGI)."""
        if loop is None:
            return self._loop_thread().submit(coroutine)
        return asyncio.run_coroutine_threadsafe(coroutine, loop)

    async def _answer_all(self, calls: list[_Call]) -> list[bytes | None]:
        return await asyncio.gather(*(self._answer(call) for call in calls))

    async def _answer(self, call: _Call) -> bytes | None:
        """Run one call from the event loop (guards, then the procedure) and make its answer."""
        timeout = call.procedure.timeout or self.limits.timeout
        if timeout is not None:
            return await self._answer_by(call, timeout)
        try:
            result = await self._run(call)
        except (Exception, SystemExit) as exc:  # SystemExit: a procedure calling sys.exit must not stop the server
            return self._failure(call, exc)
        return self._success(call, result)

    async def _run(self, call: _Call) -> Any:
        procedure = call.procedure
        if not procedure.is_async and procedure.thread and not self._routing().guards_on_loop:
            # Its guards and the hook run with it in the worker thread, as under WSGI.
            return await self._in_thread(self._run_inline, call, asyncio.get_running_loop())
        if self.registry.guards:
            await self._guard(procedure, call.context)
        if self.around_call is not None:
            return await self._around_async(call)
        if procedure.is_async:
            return await procedure.func(*call.args, **call.kwargs)
        if not procedure.thread:  # @rpc(thread=False): it only computes, quickly
            return procedure.func(*call.args, **call.kwargs)
        return await self._in_thread(procedure.func, *call.args, **call.kwargs)  # its guards ran on the loop

    async def _answer_by(self, call: _Call, timeout: float) -> bytes | None:
        """``_answer`` with a deadline: past it the call is cancelled and answered ``TIMEOUT``.

        The task running the call (the request's, or its own in a batch) is cancelled when the
        deadline passes; a sync procedure's thread cannot be, so it runs on, unanswered.
        """
        task = asyncio.current_task()
        assert task is not None
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            task.cancel()

        clock = timers()
        clock.add(call, timeout, expire)
        try:
            result = await self._run(call)
        except asyncio.CancelledError:
            if not expired:
                raise  # not ours: a disconnect or a shutdown
            task.uncancel()
            return self._timeout(call, timeout)
        except (Exception, SystemExit) as exc:
            return self._failure(call, exc)
        finally:
            clock.discard(call)
        if expired:  # the procedure swallowed the cancellation
            task.uncancel()
            return self._timeout(call, timeout)
        return self._success(call, result)

    def _answer_inline(self, call: _Call, loop: asyncio.AbstractEventLoop | None = None) -> bytes | None:
        """Run one sync call in this thread (WSGI), or in a worker thread when it has a deadline."""
        timeout = call.procedure.timeout or self.limits.timeout
        try:
            if timeout is None:
                result = self._run_inline(call, loop)
            else:
                # The answer is due at the deadline, which this thread cannot keep while it runs the
                # procedure: a worker runs it (guards included) and this thread waits for it.
                running = self._threads.submit(contextvars.copy_context(), self._run_inline, call, loop)
                try:
                    result = running.result(timeout)
                except TimeoutError:
                    running.cancel()  # still waiting for a thread: it never runs
                    return self._timeout(call, timeout)
        except (Exception, SystemExit) as exc:
            return self._failure(call, exc)
        return self._success(call, result)

    def _run_inline(self, call: _Call, loop: asyncio.AbstractEventLoop | None = None) -> Any:
        procedure = call.procedure
        if self.registry.guards:
            self._guard_sync(procedure, call.context, loop)
        if self.around_call is not None:
            return self._around(call, lambda: procedure.func(*call.args, **call.kwargs))
        return procedure.func(*call.args, **call.kwargs)

    async def _in_thread(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` in a worker thread (``Limits.threads``), in this context."""
        return await self._threads.run(contextvars.copy_context(), function, *args, **kwargs)

    def _around(self, call: _Call, run: Callable[[], Any]) -> Any:
        """``run()`` through the ``pyrpc_call`` hook."""
        assert self.around_call is not None
        return self.around_call(call.procedure, self._params(call), call.context.get(), run)

    @staticmethod
    def _params(call: _Call) -> dict[str, Any]:
        """The call's validated params by name, its Context left out (what the hook sees)."""
        procedure = call.procedure
        params = dict(zip(procedure.positional_only, call.args, strict=True))
        params.update((name, value) for name, value in call.kwargs.items() if name != procedure.context_param)
        return params

    async def _around_async(self, call: _Call) -> Any:
        """A call through the hook from the event loop.

        A sync procedure's hook runs where it runs: here for ``thread=False``, else in its
        worker thread (with its guards, ``_run_inline``, unless they ran on the loop). An
        async procedure's runs on the loop (``CallHook.run_async``), or, for a hook pluggy
        alone can run, in a wrapper thread that waits while the coroutine runs on this loop,
        started from the thread so that it runs in the wrappers' context.
        """
        procedure = call.procedure
        if not procedure.is_async:
            direct = lambda: procedure.func(*call.args, **call.kwargs)  # noqa: E731
            if not procedure.thread:
                return self._around(call, direct)
            return await self._in_thread(self._around, call, direct)  # its guards ran on the loop
        run_async = getattr(self.around_call, "run_async", None)
        if run_async is not None:
            params = self._params(call)
            return await run_async(
                procedure, params, call.context.get(), lambda: procedure.func(*call.args, **call.kwargs)
            )
        loop = asyncio.get_running_loop()
        started: list[Future[Any]] = []

        def run() -> Any:
            coroutine = exits_as_errors(procedure.func(*call.args, **call.kwargs))
            future = asyncio.run_coroutine_threadsafe(coroutine, loop)
            started.append(future)
            return future.result()

        context = contextvars.copy_context()
        try:
            # Threads of their own: these wait for the loop, so they must not queue behind sync calls.
            return await loop.run_in_executor(self._waiters(), context.run, self._around, call, run)
        except asyncio.CancelledError:
            for future in started:  # the coroutine is cancelled with the call waiting for it
                future.cancel()
            raise

    def _waiters(self) -> ThreadPoolExecutor:
        """Threads that wait while an async procedure runs inside a hook pluggy runs (not ``Limits.threads``)."""
        with self._loop_lock:
            if self._waiting_threads is None:
                size = self.limits.max_in_flight
                self._waiting_threads = ThreadPoolExecutor(size, thread_name_prefix="pyrpc-hook")
            return self._waiting_threads

    def _timeout(self, call: _Call, timeout: float) -> bytes | None:
        logger.warning("procedure %r ran past its deadline of %s s", call.procedure.name, timeout)
        if call.id is None:
            return None
        message = f"Timeout: {call.procedure.name} took longer than {timeout:g} s"
        return _error(call.id, TIMEOUT, message, {"timeout": timeout})

    def _success(self, call: _Call, result: Any) -> bytes | None:
        if call.id is None:
            return None
        try:
            encoded = call.procedure.serialize_result(result)
        except (ValidationError, PydanticSerializationError) as exc:
            if inspect.iscoroutine(result) or inspect.isgenerator(result):
                what = "a coroutine: declare it 'async def'" if inspect.iscoroutine(result) else "a generator"
                result.close()  # never awaited, on purpose: no "never awaited" warning on top
                return self.internal_error(
                    call.id, exc, f"procedure {call.procedure.name!r} is a plain function that returned {what}"
                )
            return self.internal_error(
                call.id,
                exc,
                f"procedure {call.procedure.name!r} returned a value that does not fit its return annotation",
            )
        except Exception as exc:  # a custom serializer raising
            return self.internal_error(call.id, exc, f"serializing the result of {call.procedure.name!r} failed")
        return b'{"jsonrpc":"2.0","result":' + encoded + b',"id":' + call.id + b"}"

    def _failure(self, call: _Call, exc: BaseException) -> bytes | None:
        if isinstance(exc, RpcError):
            if call.id is None:
                return None
            try:
                return _rpc_error(call.id, exc)
            except Exception as unsendable:  # data JSON cannot carry (a cycle, say), or not as declared
                return self.internal_error(
                    call.id, unsendable, f"the RpcError data of {call.procedure.name!r} cannot be sent as JSON"
                )
        answer = self.internal_error(call.id or _NULL, exc, f"procedure {call.procedure.name!r} raised")
        return None if call.id is None else answer

    def internal_error(self, id_json: bytes, exc: BaseException, what: str) -> bytes:
        """Log ``exc`` with its traceback under a new request id; the -32603 answer carrying that id.

        The client gets the id and nothing else (no exception text, type, path or name) unless
        ``debug`` is on, so an operator can find the traceback from what a user reports.
        """
        request_id = new_request_id()
        logger.error("%s [request_id=%s]", what, request_id, exc_info=exc, extra={"request_id": request_id})
        data: dict[str, Any] = {"request_id": request_id}
        if self.debug:
            data.update(type=type(exc).__name__, message=str(exc), traceback=traceback.format_exception(exc))
        return _error(id_json, INTERNAL_ERROR, "Internal error", data)

    def _loop_thread(self) -> _LoopThread:
        with self._loop_lock:
            if self._loop is None:
                self._loop = _LoopThread()
            return self._loop


class EventSource(ABC):
    """What ``pyrpc_core.stream`` sends as Server-Sent Events: ``items()``, each ``encode``d to
    JSON; ``failure`` is the JSON-RPC error answer of an exception they raised."""

    _dispatcher: Dispatcher

    @property
    @abstractmethod
    def context(self) -> Context: ...

    @abstractmethod
    def items(self) -> AsyncGenerator[Any, None]: ...

    @abstractmethod
    def encode(self, item: Any) -> bytes: ...

    @abstractmethod
    def failure(self, exc: BaseException) -> bytes: ...

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        """Run ``coroutine`` on the dispatcher's background event loop: how a WSGI stream runs."""
        return self._dispatcher._loop_thread().submit(coroutine)


class StreamCall(EventSource):
    """A checked call of a streaming procedure, its guards passed: ``items()`` runs it."""

    def __init__(self, dispatcher: Dispatcher, call: _Call) -> None:
        self._dispatcher = dispatcher
        self._call = call
        self.procedure = call.procedure
        self.id_json = call.id or _NULL

    @property
    def context(self) -> Context:
        return self._call.context.get()

    async def items(self) -> AsyncGenerator[Any, None]:
        """The procedure's items as it yields them; a sync generator runs in worker threads.

        Closing this iterator (``aclose``, as ``async for`` does when it is left) closes the
        procedure's generator: its ``finally`` runs.
        """
        call = self._call
        generator = call.procedure.func(*call.args, **call.kwargs)
        if call.procedure.is_async:
            try:
                async for item in generator:
                    yield item
            finally:
                await generator.aclose()
            return
        end = object()
        # A step left running (the client went away meanwhile) cannot be interrupted: the close,
        # in another worker thread, waits for it to end rather than fail on a running generator.
        stepping = threading.Lock()

        def step() -> Any:
            with stepping:
                return next(generator, end)

        def close() -> None:
            with stepping:
                generator.close()

        try:
            while (item := await self._dispatcher._in_thread(step)) is not end:
                yield item
        finally:
            await self._dispatcher._in_thread(close)

    def encode(self, item: Any) -> bytes:
        return self.procedure.serialize_result(item)

    def failure(self, exc: BaseException) -> bytes:
        answer = self._dispatcher._failure(self._call, exc)
        return answer if answer is not None else b"null"


class BatchStream(EventSource):
    """A batch for a client that takes ``text/event-stream``: its answers go out as they come.

    Each event is one JSON-RPC response, in the order the calls finish (a client matches them
    by id, as in any batch), so a fast call of a batch is never held back by a slow one.
    """

    def __init__(self, dispatcher: Dispatcher, checked: list[_Checked], context: _LazyContext) -> None:
        self._dispatcher = dispatcher
        self._checked = checked
        self._context = context

    @property
    def context(self) -> Context:
        return self._context.get()

    async def items(self) -> AsyncGenerator[Any, None]:
        for item in self._checked:  # requests refused before running: answered at once
            if isinstance(item, bytes):
                yield item
        calls = [item for item in self._checked if isinstance(item, _Call)]
        running = [asyncio.ensure_future(self._dispatcher._answer(call)) for call in calls]
        try:
            for finished in asyncio.as_completed(running):
                answer = await finished
                if answer is not None:  # a notification's: nothing to send
                    yield answer
        finally:  # the client left, or stream_seconds ran out: the calls still running are stopped
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    def encode(self, item: Any) -> bytes:
        return bytes(item)  # already a JSON-RPC response

    def failure(self, exc: BaseException) -> bytes:
        """The answer for the calls still running when the batch had to end (``Limits.stream_seconds``)."""
        if isinstance(exc, RpcError):
            return _rpc_error(_NULL, exc)
        return self._dispatcher.internal_error(_NULL, exc, "streaming a batch failed")


class _LoopThread:
    """One event loop running forever in a daemon thread, for async procedures under WSGI."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        thread = threading.Thread(target=self.loop.run_forever, name="pyrpc-async", daemon=True)
        thread.start()

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)


def new_request_id() -> str:
    """A fresh id for one failure: 16 hex digits, unguessable, to find its log line."""
    return secrets.token_hex(8)


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable


def _error(id_json: bytes, code: int, message: str, data: Any = None) -> bytes:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return b'{"jsonrpc":"2.0","error":' + to_json(error, serialize_unknown=True) + b',"id":' + id_json + b"}"


def _rpc_error(id_json: bytes, exc: RpcError) -> bytes:
    """The answer for an ``RpcError``: a declared error's data serialized through its declared type (by alias)."""
    data_json = exc.data_json()
    if data_json is None:
        return _error(id_json, exc.code, exc.message, exc.data)
    return _error_raw(id_json, exc.code, exc.message, data_json)


def _error_raw(id_json: bytes, code: int, message: str, data_json: bytes) -> bytes:
    head = to_json({"code": code, "message": message})[:-1]
    return b'{"jsonrpc":"2.0","error":' + head + b',"data":' + data_json + b'},"id":' + id_json + b"}"


def _answerable(checked: list[_Checked]) -> bool:
    """Whether a batch has anything to answer (else it is 204, as ever)."""
    return any(isinstance(item, bytes) or (isinstance(item, _Call) and item.id is not None) for item in checked)


def _streaming(checked: list[_Checked], is_batch: bool) -> _Call | None:
    """The call to stream, when the request is a single call of a streaming procedure that passed its checks."""
    item = checked[0]
    if is_batch or not isinstance(item, _Call) or not item.procedure.is_stream:
        return None
    return item


def _merge(checked: list[_Checked], answers: list[bytes | None]) -> list[bytes | None]:
    """Put the answers of the calls back in the places of the batch they came from."""
    ran = iter(answers)
    return [next(ran) if isinstance(item, _Call) else item for item in checked]


def _join(answers: list[bytes | None]) -> bytes | None:
    parts = [answer for answer in answers if answer is not None]
    return b"[" + b",".join(parts) + b"]" if parts else None
