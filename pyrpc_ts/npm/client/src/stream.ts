/**
 * Streaming procedures (generators in Python): one JSON-RPC request POSTed with
 * `Accept: text/event-stream`, answered with Server-Sent Events, an event per item
 * (`id: 3` / `data: <item JSON>`), comments while idle, then `event: done`, or `event: error`
 * whose data is a JSON-RPC error response.
 *
 * The stream is an `AsyncIterable`: each iteration is one request, made on its first `next()`.
 * Ending the loop (`break`, `return()`), the call's `AbortSignal` or its timeout abort the
 * request at once, so the server sees the client leave and stops the generator. A connection
 * that drops (a network error, or the body ending before `done`) is opened again with
 * `Last-Event-ID: <the last id seen>`, so the procedure can resume after it
 * (`ctx.last_event_id`), following the retry settings (on by default for streams).
 * Only `fetch`, `ReadableStream`, `TextDecoder`, `AbortController` and timers are used.
 */

import type { CallOptions, HeaderValues, JsonRpcRequest, JsonRpcResponse, Next, RpcResponse } from "./client.js";
import { TransportError, describe, toRpcError } from "./errors.js";
import { type RetryOptions, type RetryPolicy, mayRetry, retryDelay, retryPolicy } from "./retry.js";
import { BrokenOff, SseParser, readEvents } from "./sse.js";

/** What a stream needs of the client. */
export interface StreamSource {
  readonly url: string;
  /** The middleware chain, then `fetch`. */
  readonly handler: Next;
  /** The `headers` option's headers, fresh for each request. */
  headers(): Promise<HeaderValues>;
  /** A new JSON-RPC request id. */
  id(): number;
  /** The client's `retry` option. */
  readonly retry: boolean | RetryOptions | undefined;
}

/** The abort reason when the consumer ends the iteration (`break`, `return()`): no error then. */
const CLOSED: unique symbol = Symbol("pyrpc stream closed");
const DONE: unique symbol = Symbol("pyrpc stream done");

/**
 * The reconnection policy of a stream: the `retry` option's settings (the call's, else the
 * client's); when neither says, the defaults (3 tries in a row without an item); `false`: none.
 */
function streamPolicy(option: boolean | RetryOptions | undefined): RetryPolicy | undefined {
  return option === false ? undefined : retryPolicy(option ?? true);
}

/** A streaming procedure's call: an `AsyncIterable` of its items, each iteration one request. */
export function stream<T>(source: StreamSource, method: string, params: unknown, options: CallOptions): AsyncIterable<T> {
  return { [Symbol.asyncIterator]: () => iterate<T>(source, method, params, options) };
}

function iterate<T>(source: StreamSource, method: string, params: unknown, options: CallOptions): AsyncIterator<T, undefined> {
  const stop = new AbortController();
  const inner = run<T>(source, { jsonrpc: "2.0", method, params, id: source.id() }, options, stop);
  return {
    next: () => inner.next(),
    // Aborted first, so that a `next()` waiting for the server ends now instead of at the next item.
    return: () => {
      if (!stop.signal.aborted) stop.abort(CLOSED);
      return inner.return(undefined);
    },
  };
}

async function* run<T>(source: StreamSource, request: JsonRpcRequest, options: CallOptions, stop: AbortController): AsyncGenerator<T, undefined, undefined> {
  const { signal: given, timeout } = options;
  const signal = stop.signal;
  if (given?.aborted) throw given.reason;
  const onAbort = (): void => stop.abort(given?.reason);
  given?.addEventListener("abort", onAbort, { once: true });
  const timer =
    timeout !== undefined && timeout > 0
      ? setTimeout(() => stop.abort(new TransportError("timeout", `${request.method} timed out after ${timeout} ms`)), timeout)
      : undefined;
  const policy = streamPolicy(options.retry ?? source.retry);
  let lastId = "";
  let failures = 0; // tries in a row that brought no item
  let attempt = 0;
  try {
    for (;;) {
      let failure: unknown;
      let body: ReadableStream<Uint8Array> | undefined;
      try {
        const headers = new Headers(await source.headers());
        headers.set("content-type", "application/json");
        headers.set("accept", "text/event-stream");
        if (lastId !== "") headers.set("last-event-id", lastId);
        body = eventStream(await source.handler({ url: source.url, headers, body: request, signal, attempt: ++attempt }), request.method);
      } catch (error) {
        failure = error;
      }
      if (body !== undefined) {
        const parser = new SseParser(lastId);
        const outcome = yield* events<T>(body, parser, request.method, signal, () => (failures = 0));
        lastId = parser.lastId;
        if (outcome === DONE) return undefined;
        failure = outcome;
      }
      if (signal.aborted) return ended(signal);
      // A dropped stream is opened again; a refused one when trying again is safe (as for an idempotent call).
      const again = policy !== undefined && ++failures < policy.attempts && (body !== undefined || mayRetry(failure, true));
      const delay = again ? retryDelay(policy, failures, failure) : undefined;
      if (delay === undefined) throw failure;
      await sleep(delay, signal);
      if (signal.aborted) return ended(signal);
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    given?.removeEventListener("abort", onAbort);
    if (!signal.aborted) stop.abort(CLOSED); // the connection, if any is left, is closed
  }
}

/** After an abort: the loop's quiet end when the consumer closed it, else the abort's reason, thrown. */
function ended(signal: AbortSignal): undefined {
  if (signal.reason === CLOSED) return undefined;
  throw signal.reason;
}

/** The event stream of an answer; a refusal (a JSON-RPC error answer) is thrown as the call's error would be. */
function eventStream(response: RpcResponse, method: string): ReadableStream<Uint8Array> {
  if (response.stream) return response.stream;
  const answer: unknown = Array.isArray(response.body) ? response.body[0] : response.body;
  if (typeof answer === "object" && answer !== null && "error" in answer) throw toRpcError((answer as JsonRpcResponse).error, method);
  throw new TransportError("protocol", `${method} was answered as a call, not as a stream: is it a streaming procedure?`, { status: response.status });
}

/**
 * Yields the items of one connection; returns DONE at `event: done`, or the error that ended
 * the connection before it (a drop); throws at `event: error` (the procedure's error).
 */
async function* events<T>(
  body: ReadableStream<Uint8Array>,
  parser: SseParser,
  method: string,
  signal: AbortSignal,
  onItem: () => void,
): AsyncGenerator<T, typeof DONE | TransportError, undefined> {
  try {
    for await (const event of readEvents(body, parser, signal)) {
      if (signal.aborted) return new TransportError("network", `the stream of ${method} was aborted`);
      if (event.type === "message") {
        const item = parse(event.data, `an item of ${method}`);
        onItem();
        yield item as T;
      } else if (event.type === "done") {
        return DONE;
      } else if (event.type === "error") {
        const answer = parse(event.data, `the error event of ${method}`);
        throw toRpcError(typeof answer === "object" && answer !== null ? (answer as JsonRpcResponse).error : undefined, method);
      }
    }
  } catch (error) {
    if (!(error instanceof BrokenOff)) throw error;
    return new TransportError("network", `the stream of ${method} broke off: ${describe(error.cause)}`, { cause: error.cause });
  }
  return new TransportError("network", `the stream of ${method} ended before its end event`);
}

function parse(data: string, what: string): unknown {
  try {
    return JSON.parse(data);
  } catch (error) {
    throw new TransportError("parse", `${what} is not JSON`, { body: data.slice(0, 1000), cause: error });
  }
}

/** Waits `ms`, or less if `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
