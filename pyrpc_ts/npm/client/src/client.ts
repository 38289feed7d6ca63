/**
 * The runtime: a thin Proxy over `fetch`. `client.users.get(1)` becomes the JSON-RPC 2.0
 * request `{"jsonrpc": "2.0", "method": "users.get", "params": [1], "id": n}`, POSTed to
 * the server; the promise resolves with `result` or rejects with an `RpcError`. All the type
 * work happened when `@pyrpc/types` was generated: nothing here knows any procedure, except
 * what the generated `meta` says (the server's limits, the idempotent procedures, the streams:
 * a streaming procedure's call is an `AsyncIterable` of its items, see stream.ts).
 * Only `fetch`, `Headers`, `AbortController`, `TextEncoder`, `TextDecoder`, `ReadableStream`
 * and timers are used (browsers, Node 20+, Deno, Bun).
 */

import { RpcError, TransportError, describe, toRpcError } from "./errors.js";
import { type ParamsPlan, paramsOf, paramsPlan } from "./params.js";
import { type RetryOptions, type RetryPolicy, mayRetry, parseRetryAfter, retryDelay, retryPolicy } from "./retry.js";
import { BrokenOff, SseParser, readEvents } from "./sse.js";
import { type StreamSource, stream } from "./stream.js";

/** Headers as `fetch` takes them. */
export type HeaderValues = Headers | Record<string, string> | [string, string][];

/** The fetch function the client calls (the global one by default). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface CallOptions {
  /** Aborts the call: its promise rejects with the signal's reason (retries stop at once); a stream's loop throws it. */
  signal?: AbortSignal | undefined;
  /** Milliseconds before the call (or the whole stream) fails with a `TransportError` of kind `timeout`, retries included. */
  timeout?: number | undefined;
  /** Retries for these calls (a stream's reconnections): `true` for the defaults, options, or `false` for none. */
  retry?: boolean | RetryOptions | undefined;
}

/** What `@pyrpc/types` exports as `meta`: the server's limits and the idempotent procedures. */
export interface ClientMeta {
  /** The most calls in one batch the server takes: batches are never longer. */
  readonly maxBatch?: number | null | undefined;
  /** The largest request body the server takes, in bytes: batches are split to stay below it. */
  readonly maxBodyBytes?: number | null | undefined;
  /** Wire names of the procedures marked `@rpc(idempotent=True)`: retried after errors a call may have run into. */
  readonly idempotent?: readonly string[] | undefined;
  /** Wire names of the streaming procedures (generators): `client.progress(job)` is then an `AsyncIterable` of items. */
  readonly streams?: readonly string[] | undefined;
  /** How calls take their params: by position (the default), or `"named"`: one object, sent by name. */
  readonly calls?: "positional" | "named" | undefined;
  /** The parameter names of the procedures a positional call may leave a gap in: such a call is sent by name. */
  readonly params?: { readonly [procedure: string]: readonly string[] } | null | undefined;
  /** The codes of each procedure's declared errors (`@rpc(errors=[...])`): what `client.$isError` checks. */
  readonly errors?: { readonly [procedure: string]: readonly number[] } | null | undefined;
}

/** `"named"` for a `Types` generated with calls "named" (it says `$calls?: "named"`), else `"positional"`. */
export type CallsOf<T> = "$calls" extends keyof T
  ? "named" extends T[keyof T & "$calls"]
    ? T[keyof T & "$calls"] extends "named" | undefined
      ? "named"
      : "positional"
    : "positional"
  : "positional";

/**
 * What `createClient` asks of `meta` for `T`: named calls need it (without it their one object
 * would go by position), and the `meta` of named calls does not fit positional types.
 */
export type MetaFor<T> = CallsOf<T> extends "named"
  ? { meta: ClientMeta & { readonly calls: "named" } }
  : { meta?: (ClientMeta & { readonly calls?: "positional" | undefined }) | undefined };

/** One JSON-RPC 2.0 request object (`id` absent for a notification). */
export interface JsonRpcRequest {
  jsonrpc: "2.0";
  method: string;
  params?: unknown;
  id?: number;
}

/** One JSON-RPC 2.0 response object: `result`, or `error`. */
export interface JsonRpcResponse {
  jsonrpc?: "2.0";
  id?: number | string | null;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** The HTTP request a middleware sees, and may change or replace before passing it on. */
export interface RpcRequest {
  /** The endpoint. */
  url: string;
  /** The request headers: `content-type` and `accept` set, the `headers` option applied. */
  headers: Headers;
  /** The JSON-RPC payload: one request object, or an array of them (a batch). */
  body: JsonRpcRequest | JsonRpcRequest[];
  /** Aborted once every call in the request is settled (aborted, timed out). */
  signal: AbortSignal;
  /** The try: 1 for the first, then 2, 3... when the call is retried. */
  attempt: number;
}

/** The HTTP answer a middleware gets back from `next` (an HTTP error status rejects with a `TransportError` instead). */
export interface RpcResponse {
  /** The HTTP status: 200, or 204 when nothing is answered (notifications only). */
  status: number;
  headers: Headers;
  /** The JSON-RPC answer: one response object, an array of them (a batch), or undefined (204, or a stream). */
  body: JsonRpcResponse | JsonRpcResponse[] | undefined;
  /**
   * The events (`text/event-stream`), unread: a streaming procedure's items, or a batch's
   * answers as its calls finish. The client reads them after the middleware returns.
   */
  stream?: ReadableStream<Uint8Array> | undefined;
}

/** Sends a request on: the next middleware, or `fetch` after the last one. */
export type Next = (request: RpcRequest) => Promise<RpcResponse>;

/**
 * Runs around every HTTP request, in the order given (the first is the outermost): change the
 * request and call `next`, look at the response or the error, call `next` again (a retry after
 * refreshing a token), or answer without calling it at all.
 */
export type Middleware = (request: RpcRequest, next: Next) => Promise<RpcResponse>;

export interface ClientOptions {
  /** The endpoint, e.g. `http://127.0.0.1:8000/rpc` or `/rpc`. */
  url: string | URL;
  /** Extra headers, or a (possibly async) function giving them, called before every request. */
  headers?: HeaderValues | (() => HeaderValues | Promise<HeaderValues>) | undefined;
  /** A replacement for the global `fetch` (tests, polyfills, instrumentation). */
  fetch?: FetchLike | undefined;
  /** The default timeout of every call, in milliseconds (none by default). */
  timeout?: number | undefined;
  /**
   * Group the calls made in the same tick into one JSON-RPC batch (one HTTP request); the
   * answers are matched to the calls by id. `maxSize` caps a batch (default 100, and never
   * more than `meta.maxBatch`). Each call resolves as soon as its own answer arrives: the
   * batch asks for its answers as a stream (`Accept: text/event-stream`), which the server
   * sends in the order the calls finish; `stream: false` asks for them all at once.
   */
  batch?: boolean | { maxSize?: number | undefined; stream?: boolean | undefined } | undefined;
  /** Middleware around every HTTP request, outermost first. */
  middleware?: readonly Middleware[] | undefined;
  /** Retry failed calls where that is safe: `true` for 3 tries, 100 ms to 5 s apart (full jitter). Off by default. */
  retry?: boolean | RetryOptions | undefined;
  /** `meta` from `@pyrpc/types`: the server's batch limits and the idempotent procedures. */
  meta?: ClientMeta | undefined;
}

/** One procedure of a `Procedures` map (generated in `@pyrpc/types`). */
export interface ProcedureEntry {
  /** The params by name. */
  params: unknown;
  /** The params by position. */
  args: readonly unknown[];
  /** The result; a stream's item. */
  result: unknown;
  /** `true` for a streaming procedure (a generator). */
  stream?: boolean | undefined;
}

/** The wire names of the streaming procedures of a `Procedures` map. */
export type StreamNames<P> = { [K in keyof P & string]: P[K] extends { stream: true } ? K : never }[keyof P & string];

/** The wire names of the procedures of a `Procedures` map that are called (not streamed). */
export type CallNames<P> = Exclude<keyof P & string, StreamNames<P>>;

/** The params and options of a call by wire name: params may be left out when every one is optional. */
export type CallArgs<E extends ProcedureEntry> = [] extends E["args"]
  ? [params?: Readonly<E["args"]> | E["params"], options?: CallOptions]
  : [params: Readonly<E["args"]> | E["params"], options?: CallOptions];

/** `client.$call(method, params?, options?)`: typed by `Procedures` (streams left out), or loose without it. */
export type CallByName<P> = [P] extends [never]
  ? <R = unknown>(method: string, params?: readonly unknown[] | Record<string, unknown>, options?: CallOptions) => Promise<R>
  : <M extends CallNames<P>>(method: M, ...rest: P[M] extends ProcedureEntry ? CallArgs<P[M]> : never) => Promise<P[M] extends ProcedureEntry ? P[M]["result"] : never>;

/** `client.$notify(method, params?, options?)`: a notification by wire name (streams left out). */
export type NotifyByName<P> = [P] extends [never]
  ? (method: string, params?: readonly unknown[] | Record<string, unknown>, options?: CallOptions) => Promise<void>
  : <M extends CallNames<P>>(method: M, ...rest: P[M] extends ProcedureEntry ? CallArgs<P[M]> : never) => Promise<void>;

/** `client.$stream(method, params?, options?)`: a streaming procedure by wire name, typed by `Procedures`, or loose without it. */
export type StreamByName<P> = [P] extends [never]
  ? <T = unknown>(method: string, params?: readonly unknown[] | Record<string, unknown>, options?: CallOptions) => AsyncIterable<T>
  : <M extends StreamNames<P>>(method: M, ...rest: P[M] extends ProcedureEntry ? CallArgs<P[M]> : never) => AsyncIterable<P[M] extends ProcedureEntry ? P[M]["result"] : never>;

/** The wire names of the procedures of a `Procedures` map that declare errors (`@rpc(errors=[...])`). */
export type ErrorNames<P> = { [K in keyof P & string]: P[K] extends { errors: unknown } ? K : never }[keyof P & string];

/**
 * A declared error of the procedure `M`: an `RpcError` whose `code` is one of the codes it
 * declares (a literal union, so `e.code === 4004` narrows) and whose `data` is typed by code.
 */
export type DeclaredError<P, M extends keyof P> = P[M] extends { errors: infer E } ? RpcError & E & { readonly method: M } : never;

/** `client.$isError(error, method)`: typed by `Procedures` (only procedures that declare errors), or loose without it. */
export type IsError<P> = [P] extends [never]
  ? (error: unknown, method: string) => error is RpcError
  : <M extends ErrorNames<P>>(error: unknown, method: M) => error is DeclaredError<P, M>;

/** `client.$notify.log("x")`: the same procedures, sent as notifications (no id, no answer). */
export type Notifier<T> = {
  [K in keyof T as K extends `$${string}` ? never : K]: T[K] extends (...args: infer A) => unknown
    ? ((...args: A) => Promise<void>) & Notifier<T[K]>
    : Notifier<T[K]>;
};

/** Helpers on the client; `$` names cannot clash with a Python procedure's name. */
export interface ClientHelpers<T, P = never> {
  /** The same client with options for the calls made through it: `client.$with({ signal }).add(1, 2)`. */
  $with(options: CallOptions): Client<T, P>;
  /** Calls a procedure by wire name, params by position (array) or by name (object); typed when the client has `Procedures`. */
  $call: CallByName<P>;
  /** Notifications: `client.$notify.audit.log("x")` or `client.$notify("audit.log", ["x"])` resolve once the server took the request. */
  $notify: Notifier<T> & NotifyByName<P>;
  /** A streaming procedure by wire name, known to `meta` or not: `for await (const step of client.$stream("progress", [job]))`. */
  $stream: StreamByName<P>;
  /**
   * Whether `error` is a declared error of the procedure `method`: an `RpcError` answered to a
   * call of it, with one of the codes `meta.errors` lists for it (false without `meta`).
   * `if (client.$isError(e, "users.get") && e.code === 4004) e.data.userId`: `code` is the union
   * of its codes, and `data` is typed by code.
   */
  $isError: IsError<P>;
}

/** The client: the procedures of `T` (`Types`), and the helpers, `$call` typed by `P` (`Procedures`) when given. */
export type Client<T, P = never> = T & ClientHelpers<T, P>;

/**
 * Property names the proxy never turns into procedures, so `await client` and `JSON.stringify`
 * stay harmless; the server refuses to register procedures named so (as it refuses `$` names,
 * which are the helpers'). Every other name is a procedure: `constructor`, `toString`,
 * `valueOf`, `__proto__`, `call`... (string conversion goes through `Symbol.toPrimitive`).
 */
const NOT_PROCEDURES: ReadonlySet<string> = new Set(["then", "toJSON"]);

/** An HTTP request (or a wait before a retry) that some calls share: cancelled once all of them are settled. */
interface Flight {
  readonly calls: readonly Pending[];
  readonly cancel: () => void;
}

interface Pending {
  readonly request: JsonRpcRequest;
  readonly options: CallOptions;
  readonly retry: RetryPolicy | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
  settled: boolean;
  attempt: number;
  flight: Flight | undefined;
  cleanup: () => void;
}

/**
 * Creates a client: `createClient<Types>({ url })` where `Types` comes from `@pyrpc/types`;
 * `createClient<Types, Procedures>({ url, meta })` also types `$call` and `$notify` by wire name.
 */
export function createClient<T extends object = Record<string, never>, P extends { [K in keyof P]: ProcedureEntry } = never>(
  options: ClientOptions & MetaFor<T>,
): Client<T, P> {
  const transport = new Transport(options);
  return procedureProxy(transport, [], {}, false) as Client<T, P>;
}

function procedureProxy(transport: Transport, path: readonly string[], defaults: CallOptions, notify: boolean): unknown {
  // A function target, so that `users(...)` works when `users` is a procedure and a namespace.
  const target = function pyrpcProcedure(): void {};
  const children = new Map<string, unknown>(); // so that client.users === client.users
  const method = path.join("."); // the wire name of a call of this node
  return new Proxy(target, {
    get(_target, property) {
      // `${client.users}` and String(client): a description, never a call of toString or valueOf.
      if (property === Symbol.toPrimitive) return () => `[pyRPC ${method || "client"}]`;
      if (typeof property === "symbol" || NOT_PROCEDURES.has(property)) return undefined;
      if (path.length === 0 && !notify) {
        if (property === "$with") {
          return (options: CallOptions) => procedureProxy(transport, [], { ...defaults, ...options }, false);
        }
        if (property === "$call") {
          return (method: string, params?: unknown, options?: CallOptions) =>
            transport.call(method, params ?? [], { ...defaults, ...options }, false);
        }
        if (property === "$stream") {
          return (method: string, params?: unknown, options?: CallOptions) =>
            transport.stream(method, params ?? [], { ...defaults, ...options });
        }
        if (property === "$isError") {
          return (error: unknown, method: string) => transport.isDeclaredError(error, method);
        }
        if (property === "$notify") property = "\0notify";
      }
      if (property.startsWith("$")) return undefined; // the helpers' names: never a procedure (`$calls` is a type only)
      let child = children.get(property);
      if (child === undefined) {
        child =
          property === "\0notify"
            ? procedureProxy(transport, [], defaults, true)
            : procedureProxy(transport, [...path, property], defaults, notify);
        children.set(property, child);
      }
      return child;
    },
    apply(_target, _this, args: unknown[]) {
      if (path.length === 0) {
        if (!notify) return Promise.reject(new TypeError("the client is not a procedure: call client.<name>(...)"));
        // client.$notify("audit.log", ["x"], options): a notification by wire name.
        const [wireName, params, options] = args as [unknown, unknown, CallOptions | undefined];
        if (typeof wireName !== "string") return Promise.reject(new TypeError("$notify(method, params?): method is a wire name"));
        return transport.call(wireName, params ?? [], { ...defaults, ...options }, true);
      }
      if (notify) return transport.call(method, args, defaults, true);
      if (transport.streams.has(method)) return transport.stream(method, args, defaults);
      const promise = transport.call(method, args, defaults, false);
      // A stream the client does not know of (no meta): a clear error for `for await`, not a crash
      // on the call's rejection (-32003, sent without Accept: text/event-stream), which nobody handles.
      return Object.defineProperty(promise, Symbol.asyncIterator, {
        value: () => {
          promise.catch(() => {});
          throw new TypeError(`${method} is not a stream this client knows of: give createClient the meta of @pyrpc/types, or use client.$stream("${method}", params)`);
        },
      });
    },
  });
}

const encoder = /* @__PURE__ */ new TextEncoder();

/**
 * The JSON text of a request. A `bigint` anywhere in it (which `JSON.stringify` refuses) is
 * written as its decimal string, which a `BigInt` parameter reads exactly (and a plain `int`
 * reads too). The replacer runs only when plain `JSON.stringify` threw, so ordinary requests
 * pay nothing for it.
 */
function requestJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  }
}

class Transport {
  /** The streaming procedures, from `meta.streams`. */
  readonly streams: ReadonlySet<string>;
  /** How params are sent, from `meta.calls` and `meta.params`. */
  private readonly plan: ParamsPlan;
  private nextId = 1;
  private queue: Pending[] = [];
  private flushScheduled = false;
  private readonly maxBatch: number;
  private readonly streamBatches: boolean;
  private readonly maxBodyBytes: number;
  private readonly idempotent: ReadonlySet<string>;
  private readonly handler: Next;
  /** The endpoint, as a string. */
  private readonly url: string;
  /** The retry policy of the client's `retry` option (a call's own `retry` makes its own). */
  private readonly retryPolicy: RetryPolicy | undefined;
  /** What a stream needs of the client. */
  private readonly source: StreamSource;
  /** The codes of each procedure's declared errors, from `meta.errors`. */
  private readonly declared: ReadonlyMap<string, ReadonlySet<number>>;

  constructor(private readonly options: ClientOptions) {
    const { batch, meta } = options;
    const serverMax = positiveOr(meta?.maxBatch, Infinity);
    const batchOptions = typeof batch === "object" ? batch : {};
    this.maxBatch = batch ? Math.max(1, Math.min(batchOptions.maxSize ?? 100, serverMax)) : 0;
    this.streamBatches = batchOptions.stream ?? true;
    this.maxBodyBytes = positiveOr(meta?.maxBodyBytes, Infinity);
    this.idempotent = new Set(meta?.idempotent ?? []);
    this.streams = new Set(meta?.streams ?? []);
    this.plan = paramsPlan(meta);
    const errors = meta?.errors ?? {};
    this.declared = new Map(
      Object.keys(errors).flatMap((name) => {
        const codes = errors[name];
        return Array.isArray(codes) ? [[name, new Set(codes)] as const] : [];
      }),
    );
    // The middleware chain, the first outermost, around the request itself.
    this.handler = (options.middleware ?? []).reduceRight<Next>(
      (next, middleware) => (request) => middleware(request, next),
      (request) => this.fetch(request),
    );
    this.url = String(options.url);
    this.retryPolicy = retryPolicy(options.retry);
    this.source = {
      url: this.url,
      handler: this.handler,
      headers: () => this.headers(),
      id: () => this.nextId++,
      retry: options.retry,
    };
  }

  /**
   * A streaming procedure's call: an `AsyncIterable` whose iterations are requests of their own.
   * The client's `timeout` (for calls) does not apply: a stream lasts as long as it yields,
   * unless the call's own options say otherwise. Never batched.
   */
  stream(method: string, params: unknown, callOptions: CallOptions): AsyncIterable<unknown> {
    let sent: unknown;
    try {
      sent = paramsOf(method, params, this.plan);
    } catch (error) {
      return { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }) }; // thrown by the loop, as a stream's errors are
    }
    return stream(this.source, method, sent, callOptions);
  }

  /** Whether `error` is an `RpcError` of a call of `method` with one of the codes it declares. */
  isDeclaredError(error: unknown, method: string): boolean {
    return error instanceof RpcError && error.method === method && this.declared.get(method)?.has(error.code) === true;
  }

  /** A call (or a notification): `params` are arguments (an array) or params by name (an object), see params.ts. */
  call(method: string, params: unknown, callOptions: CallOptions, notification: boolean): Promise<unknown> {
    let sent: unknown;
    try {
      sent = paramsOf(method, params, this.plan);
    } catch (error) {
      return Promise.reject(error);
    }
    const request: JsonRpcRequest = { jsonrpc: "2.0", method, params: sent };
    if (!notification) request.id = this.nextId++;
    const options: CallOptions = { timeout: this.options.timeout, retry: this.options.retry, ...callOptions };
    return new Promise((resolve, reject) => {
      const pending: Pending = {
        request,
        options,
        retry: options.retry === this.options.retry ? this.retryPolicy : retryPolicy(options.retry),
        resolve,
        reject,
        settled: false,
        attempt: 0,
        flight: undefined,
        cleanup: () => {},
      };
      if (!this.watch(pending)) return;
      if (this.maxBatch > 0) {
        this.queue.push(pending);
        if (!this.flushScheduled) {
          this.flushScheduled = true;
          queueMicrotask(() => this.flush());
        }
      } else {
        void this.send([pending], false);
      }
    });
  }

  /** Arms the call's signal and timeout; false when the signal was aborted already. */
  private watch(pending: Pending): boolean {
    const { signal, timeout } = pending.options;
    if (signal?.aborted) {
      pending.settled = true;
      pending.reject(signal.reason);
      return false;
    }
    const onAbort = (): void => settle(pending, () => pending.reject(signal?.reason));
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer =
      timeout !== undefined && timeout > 0
        ? setTimeout(() => {
            const seconds = `${pending.request.method} timed out after ${timeout} ms`;
            settle(pending, () => pending.reject(new TransportError("timeout", seconds)));
          }, timeout)
        : undefined;
    pending.cleanup = () => {
      signal?.removeEventListener("abort", onAbort);
      if (timer !== undefined) clearTimeout(timer);
    };
    return true;
  }

  private flush(): void {
    this.flushScheduled = false;
    const waiting = this.queue.filter((p) => !p.settled);
    this.queue = [];
    for (const group of this.groups(waiting)) void this.send(group, group.length > 1);
  }

  /** The calls in batches of at most `maxBatch` calls and (when the server says) `maxBodyBytes` bytes. */
  private groups(calls: Pending[]): Pending[][] {
    const groups: Pending[][] = [];
    let group: Pending[] = [];
    let bytes = 1; // "[" and "]", less one comma
    for (const call of calls) {
      const size = this.maxBodyBytes === Infinity ? 0 : encoder.encode(requestJson(call.request)).length + 1;
      if (group.length > 0 && (group.length >= this.maxBatch || bytes + size > this.maxBodyBytes)) {
        groups.push(group);
        group = [];
        bytes = 1;
      }
      group.push(call);
      bytes += size;
    }
    if (group.length > 0) groups.push(group);
    return groups;
  }

  /** Sends the calls (one request, or a batch) through the middleware; settles or retries each from the answer. */
  private async send(calls: Pending[], asBatch: boolean): Promise<void> {
    const live = calls.filter((c) => !c.settled);
    if (live.length === 0) return;
    // The HTTP request is abandoned once every call in it is settled (aborted or timed out).
    const controller = new AbortController();
    board(live, () => controller.abort());
    let retries: [Pending, unknown][] = [];
    try {
      const headers = new Headers(await this.headers());
      headers.set("content-type", "application/json");
      // A batch opts in to its answers as they come; a server that cannot still answers with JSON.
      if (asBatch && this.streamBatches) headers.set("accept", "text/event-stream, application/json");
      else if (!headers.has("accept")) headers.set("accept", "application/json");
      const attempt = Math.max(...live.map((c) => ++c.attempt));
      const body = asBatch ? live.map((c) => c.request) : (live[0] as Pending).request;
      const response = await this.handler({ url: this.url, headers, body, signal: controller.signal, attempt });
      if (response.stream && asBatch) {
        retries = await this.settleStreamed(live, response.stream);
      } else {
        void response.stream?.cancel().catch(() => {}); // an event stream is no answer to a call
        retries = this.settleAll(live, answersOf(response));
      }
    } catch (error) {
      for (const call of live) {
        if (!call.settled && this.retries(call, error)) retries.push([call, error]);
        else settle(call, () => call.reject(error));
      }
    }
    if (retries.length > 0) await this.retry(retries, asBatch);
  }

  /** Waits (the longest delay the calls ask for), then sends the calls again; a call that may not wait that long fails now. */
  private async retry(retries: [Pending, unknown][], asBatch: boolean): Promise<void> {
    let wait = 0;
    const again: Pending[] = [];
    for (const [call, error] of retries) {
      const delay = retryDelay(call.retry as RetryPolicy, call.attempt, error);
      if (delay === undefined) {
        settle(call, () => call.reject(error));
      } else {
        wait = Math.max(wait, delay);
        again.push(call);
      }
    }
    if (again.length === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      board(again, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await this.send(again, asBatch && again.length > 1);
  }

  /** Whether the call may be tried again after `error`. */
  private retries(call: Pending, error: unknown): boolean {
    const policy = call.retry;
    return policy !== undefined && call.attempt < policy.attempts && mayRetry(error, this.idempotent.has(call.request.method));
  }

  /** The request itself, after the last middleware: `fetch`, then the HTTP status and the body read. */
  private async fetch(request: RpcRequest): Promise<RpcResponse> {
    const { url, headers, body, signal } = request;
    const fetchFn = this.options.fetch ?? globalThis.fetch;
    let response: Response;
    let text: string;
    try {
      response = await fetchFn(url, { method: "POST", headers, body: requestJson(body), signal });
      if (response.ok && response.body && /^text\/event-stream/i.test(response.headers.get("content-type") ?? "")) {
        return { status: response.status, headers: response.headers, body: undefined, stream: response.body };
      }
      text = await response.text();
    } catch (error) {
      throw signal.aborted ? error : new TransportError("network", `could not reach ${url}: ${describe(error)}`, { cause: error });
    }
    if (!response.ok) {
      throw new TransportError("http", `HTTP ${response.status} from ${url}`, {
        status: response.status,
        body: text.slice(0, 1000),
        retryAfter: parseRetryAfter(response.headers.get("retry-after")),
      });
    }
    return { status: response.status, headers: response.headers, body: parseBody(text, response.status) };
  }

  /** The `headers` option's headers, fresh for each request. */
  private async headers(): Promise<HeaderValues> {
    const given = this.options.headers;
    if (given === undefined) return {};
    return typeof given === "function" ? await given() : given;
  }

  /** Settles each call from the answers; returns the calls to retry instead, with their errors. */
  private settleAll(calls: Pending[], answers: JsonRpcResponse[]): [Pending, unknown][] {
    const retries: [Pending, unknown][] = [];
    const byId = new Map<unknown, JsonRpcResponse>();
    let general: JsonRpcResponse | undefined; // an error about the whole request (id null)
    for (const answer of answers) {
      if (answer.id === null || answer.id === undefined) {
        if ("error" in answer) general = answer;
      } else {
        byId.set(answer.id, answer);
      }
    }
    for (const call of calls) {
      if (call.settled) continue;
      const { id, method } = call.request;
      if (id === undefined) {
        // A notification: nothing comes back, unless the whole request was refused.
        this.conclude(call, general ? { error: toRpcError(general.error, method) } : { value: undefined }, retries);
      } else {
        const answer = byId.get(id) ?? (calls.length === 1 ? singleAnswer(answers) : undefined) ?? general;
        this.conclude(call, outcomeOf(call, answer, answer === general), retries);
      }
    }
    return retries;
  }

  /**
   * Settles each call of a batch as its answer arrives, one per event, in the order the server
   * finished them; returns the calls to retry, with their errors. An `error` event (or an answer
   * without id) is about the calls still waiting; `done` ends the batch: a call it leaves
   * unanswered is a protocol error, one a broken-off stream leaves a network error (retried as
   * the retry policy allows).
   */
  private async settleStreamed(calls: Pending[], body: ReadableStream<Uint8Array>): Promise<[Pending, unknown][]> {
    const retries: [Pending, unknown][] = [];
    const waiting = new Map<unknown, Pending>();
    for (const call of calls) {
      if (call.request.id !== undefined) waiting.set(call.request.id, call);
      else this.conclude(call, { value: undefined }, retries); // a notification: the server took it
    }
    let unanswered: TransportError | undefined; // why the calls still waiting at the end got no answer
    let ended = false; // by its end event
    try {
      for await (const event of readEvents(body, new SseParser())) {
        if (event.type === "done") {
          ended = true;
          break;
        }
        let answer: unknown;
        try {
          answer = JSON.parse(event.data);
        } catch (error) {
          unanswered = new TransportError("parse", "an answer of a batch is not JSON", { body: event.data.slice(0, 1000), cause: error });
          break;
        }
        if (!isResponseObject(answer)) {
          unanswered = new TransportError("protocol", "an answer of a batch is not a JSON-RPC response", { body: event.data.slice(0, 1000) });
          break;
        }
        const response = answer;
        const call = response.id === null || response.id === undefined ? undefined : waiting.get(response.id);
        if (call !== undefined) {
          waiting.delete(response.id);
          this.conclude(call, outcomeOf(call, response, false), retries);
        } else if (event.type === "error" || ((response.id === null || response.id === undefined) && "error" in response)) {
          // About the whole batch (past the server's stream_seconds, say): every call still waiting.
          for (const left of waiting.values()) this.conclude(left, outcomeOf(left, response, true), retries);
          waiting.clear();
        }
      }
      if (!ended) unanswered ??= new TransportError("network", "the answers of a batch ended before its end event");
    } catch (error) {
      if (!(error instanceof BrokenOff)) throw error;
      unanswered = new TransportError("network", `the answers of a batch broke off: ${describe(error.cause)}`, { cause: error.cause });
    }
    for (const call of waiting.values()) {
      const { id, method } = call.request;
      this.conclude(call, { error: unanswered ?? new TransportError("protocol", `no answer for call ${id} (${method})`) }, retries);
    }
    return retries;
  }

  /** Settles the call with its outcome, or puts it among the retries when its error allows another try. */
  private conclude(call: Pending, outcome: Outcome, retries: [Pending, unknown][]): void {
    if (call.settled) return;
    if ("value" in outcome) settle(call, () => call.resolve(outcome.value));
    else if (this.retries(call, outcome.error)) retries.push([call, outcome.error]);
    else settle(call, () => call.reject(outcome.error));
  }
}

/** What a call comes to: its result, or the error it rejects with. */
type Outcome = { value: unknown } | { error: unknown };

/** The outcome of a call from its answer (`general`: an error about the whole request). */
function outcomeOf(call: Pending, answer: JsonRpcResponse | undefined, general: boolean): Outcome {
  const { id, method } = call.request;
  if (answer === undefined) return { error: new TransportError("protocol", `no answer for call ${id} (${method})`) };
  if ("error" in answer) return { error: toRpcError(answer.error, general ? undefined : method) };
  if ("result" in answer) return { value: answer.result };
  return { error: new TransportError("protocol", `answer ${id} has neither result nor error`) };
}

function positiveOr(value: number | null | undefined, otherwise: number): number {
  return typeof value === "number" && value > 0 ? value : otherwise;
}

/** Puts the calls on a flight: `cancel` runs once every one of them is settled. */
function board(calls: readonly Pending[], cancel: () => void): void {
  const flight: Flight = { calls, cancel };
  for (const call of calls) call.flight = flight;
}

function settle(pending: Pending, action: () => void): void {
  if (pending.settled) return;
  pending.settled = true;
  pending.cleanup();
  const flight = pending.flight;
  if (flight) queueMicrotask(() => flight.calls.every((c) => c.settled) && flight.cancel());
  action();
}

/** The response body, parsed: an answer object, a list of them, or undefined (204 or an empty body). */
function parseBody(text: string, status: number): JsonRpcResponse | JsonRpcResponse[] | undefined {
  if (status === 204 || text.trim() === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TransportError("parse", "the server's answer is not JSON", { status, body: text.slice(0, 1000), cause: error });
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  if (!list.every(isResponseObject)) {
    throw new TransportError("protocol", "the server's answer is not a JSON-RPC response", { status, body: text.slice(0, 1000) });
  }
  return parsed as JsonRpcResponse | JsonRpcResponse[];
}

/** Whether a JSON value can be a JSON-RPC response: an object (not an array). */
function isResponseObject(value: unknown): value is JsonRpcResponse {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The answers of a response as a list (none for 204), checked again in case a middleware made the response. */
function answersOf(response: RpcResponse): JsonRpcResponse[] {
  const body = response.body;
  const list = body === undefined ? [] : Array.isArray(body) ? body : [body];
  if (!list.every(isResponseObject)) {
    throw new TransportError("protocol", "the answer is not a JSON-RPC response", { status: response.status });
  }
  return list;
}

/** For a single call, an answer whose id does not match is still an error about the request. */
function singleAnswer(answers: JsonRpcResponse[]): JsonRpcResponse | undefined {
  const only = answers.length === 1 ? answers[0] : undefined;
  return only && "error" in only ? only : undefined;
}
