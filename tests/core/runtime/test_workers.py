"""``Workers``: the threads that run sync procedures for the event loop."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time

import pytest

from pyrpc_core.workers import Workers

REQUEST = contextvars.ContextVar[str]("REQUEST", default="none")


def test_a_result_an_exception_and_the_callers_context_come_back() -> None:
    workers = Workers(2, "test")

    def whose(prefix: str, *, context: str, function: str) -> str:
        # Keyword names of the call's own are free: run() takes its two first arguments by position only.
        return f"{prefix}:{REQUEST.get()}:{context}:{function}:{threading.current_thread().name}"

    def fails() -> None:
        raise KeyError("boom")

    async def main() -> str:
        REQUEST.set("r1")
        answer = await workers.run(contextvars.copy_context(), whose, "p", context="c", function="f")
        with pytest.raises(KeyError, match="boom"):
            await workers.run(contextvars.copy_context(), fails)
        return answer

    assert asyncio.run(main()).startswith("p:r1:c:f:test_")


def test_calls_start_in_order_and_no_more_threads_than_the_size() -> None:
    workers = Workers(2, "test")
    started: list[int] = []
    threads: set[str] = set()
    lock = threading.Lock()

    def work(n: int) -> int:
        with lock:
            started.append(n)
            threads.add(threading.current_thread().name)
        time.sleep(0.01)
        return n

    async def main() -> list[int]:
        return list(await asyncio.gather(*(workers.run(contextvars.copy_context(), work, n) for n in range(20))))

    assert asyncio.run(main()) == list(range(20))
    assert len(threads) == 2
    # Two threads take from one queue in order: a call never starts before one handed over earlier.
    assert all(abs(started.index(n) - n) <= 1 for n in range(20))
    assert workers.waiting == 0


def test_a_call_cancelled_while_it_waits_never_runs_and_a_running_one_runs_on() -> None:
    workers = Workers(1, "test")
    ran: list[str] = []
    release = threading.Event()

    def blocker() -> None:
        ran.append("blocker")
        release.wait(5)
        ran.append("blocker done")

    def queued() -> None:
        ran.append("queued")

    async def main() -> None:
        running = asyncio.ensure_future(workers.run(contextvars.copy_context(), blocker))
        waiting = asyncio.ensure_future(workers.run(contextvars.copy_context(), queued))
        await asyncio.sleep(0.05)
        assert workers.waiting == 1
        running.cancel()
        waiting.cancel()
        release.set()
        # The next call runs after the blocker: the queued one was skipped, not run late.
        await workers.run(contextvars.copy_context(), ran.append, "next")

    asyncio.run(main())
    assert ran == ["blocker", "blocker done", "next"]
    assert workers.waiting == 0


def test_submit_from_a_thread_and_cancel_before_it_starts() -> None:
    workers = Workers(1, "test")
    release = threading.Event()
    first = workers.submit(contextvars.copy_context(), release.wait, 5)
    second = workers.submit(contextvars.copy_context(), lambda: "never")
    assert second.cancel()  # still waiting for the one thread
    release.set()
    assert first.result(5) is True
    third = workers.submit(contextvars.copy_context(), lambda: "third")
    assert third.result(5) == "third"
    assert second.cancelled()


def test_an_answer_for_a_closed_loop_is_dropped_quietly() -> None:
    workers = Workers(1, "test")
    release = threading.Event()
    finished = threading.Event()

    def slow() -> str:
        release.wait(5)
        finished.set()
        return "late"

    async def main() -> None:
        call = asyncio.ensure_future(workers.run(contextvars.copy_context(), slow))
        await asyncio.sleep(0.02)
        call.cancel()

    asyncio.run(main())  # closes the loop while the call still runs
    release.set()
    assert finished.wait(5)
    # The worker survived the closed loop: it still takes calls.
    assert workers.submit(contextvars.copy_context(), lambda: 1).result(5) == 1


def test_the_thread_parked_last_is_woken_first_and_the_others_sleep_on() -> None:
    """Quick calls one after another are all run by one thread, never passed round the pool
    (every thread awake at once would fight the event loop for the GIL)."""
    workers = Workers(4, "test")
    barrier = threading.Barrier(4, timeout=5)
    ran: list[str] = []

    def together() -> None:
        barrier.wait()  # four calls at once: four threads

    def quick() -> None:
        ran.append(threading.current_thread().name)

    async def main() -> None:
        await asyncio.gather(*(workers.run(contextvars.copy_context(), together) for _ in range(4)))
        # The burst's threads park a moment after their answers; one still on its way takes the
        # first call after it.
        await asyncio.sleep(0.1)
        await workers.run(contextvars.copy_context(), lambda: None)
        for _ in range(20):
            await workers.run(contextvars.copy_context(), quick)

    asyncio.run(main())
    assert len(set(ran)) == 1
    assert workers.waiting == 0


def test_calls_that_block_spread_over_the_threads() -> None:
    """A thread that takes a call with more waiting wakes the next: blocking calls run side by side."""
    workers = Workers(8, "test")
    threads: set[str] = set()

    def blocks() -> None:
        threads.add(threading.current_thread().name)
        time.sleep(0.2)

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(workers.run(contextvars.copy_context(), blocks) for _ in range(8)))
        return time.perf_counter() - started

    assert asyncio.run(main()) < 0.8  # one after another: 1.6 s
    assert len(threads) == 8


def test_outcomes_finished_before_the_loop_runs_wake_it_once() -> None:
    # Every call blocks on one gate; opened, they all finish while the loop sleeps in a sync
    # sleep: their outcomes reach it with one wake-up (call_soon_threadsafe), not one each.
    workers = Workers(4, "test")
    gate = threading.Event()
    started = threading.Semaphore(0)

    def call(n: int) -> int:
        started.release()
        gate.wait(5)
        if n == 3:
            raise ValueError(n)
        return n

    async def main() -> list[object]:
        loop = asyncio.get_running_loop()
        calls = [asyncio.ensure_future(workers.run(contextvars.copy_context(), call, n)) for n in range(8)]
        await asyncio.sleep(0)
        for _ in range(4):  # the four threads have each taken a call
            assert await asyncio.to_thread(started.acquire, True, 5)
        wakeups = 0
        real = loop.call_soon_threadsafe

        def counted(*args: object) -> object:
            nonlocal wakeups
            wakeups += 1
            return real(*args)  # type: ignore[arg-type]

        loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
        gate.set()
        # The loop is busy (a sync wait, not an await) until all eight outcomes are in its outbox.
        outbox = workers._outboxes[loop]
        deadline = time.monotonic() + 5
        while len(outbox._outcomes) < 8 and time.monotonic() < deadline:
            time.sleep(0.001)
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        assert wakeups == 1
        return outcomes

    outcomes = asyncio.run(main())
    assert outcomes[:3] == [0, 1, 2]
    assert isinstance(outcomes[3], ValueError)
    assert outcomes[4:] == [4, 5, 6, 7]


def test_outcomes_from_many_threads_at_once_all_arrive() -> None:
    workers = Workers(8, "test")

    async def main() -> list[int]:
        calls = [workers.run(contextvars.copy_context(), lambda n=n: n) for n in range(2000)]
        return await asyncio.gather(*calls)

    assert asyncio.run(main()) == list(range(2000))
