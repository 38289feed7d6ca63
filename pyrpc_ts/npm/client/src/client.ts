/**
 * The runtime: a thin Proxy over `fetch`. `client.users.get(1)` becomes the JSON-RPC 2.0
 * request `{"jsonrpc": "2.0", "method": "users.get", "params": [1], "id": n}`, POSTed to
 * the server; the promise resolves with `result` or rejects with an `RpcError`. All the type
 * work happened when `@pyrpc/types` was generated: nothing here knows any procedure.
 * Only `fetch`, `Headers`, `AbortController` and timers are used (browsers, Node 20+, Deno, Bun).
 */

import { RpcError, TransportError } from "./errors.js";

/** Headers as `fetch` takes them. */
export type HeaderValues = Headers | Record<string, string> | [string, string][];

/** The fetch function the client calls (the global one by default). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface CallOptions {
  /** Aborts the call: its promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Milliseconds before the call fails with a `TransportError` of kind `timeout`. */
  timeout?: number | undefined;
}

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
   * answers are matched to the calls by id. `maxSize` caps a batch (default 100).
   */
  batch?: boolean | { maxSize?: number | undefined } | undefined;
}

/** `client.$notify.log("x")`: the same procedures, sent as notifications (no id, no answer). */
export type Notifier<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => unknown
    ? ((...args: A) => Promise<void>) & Notifier<T[K]>
    : Notifier<T[K]>;
};

/** Helpers on the client; `$` names cannot clash with a Python procedure's name. */
export interface ClientHelpers<T> {
  /** The same client with options for the calls made through it: `client.$with({ signal }).add(1, 2)`. */
  $with(options: CallOptions): Client<T>;
  /** Calls a procedure by wire name, params by position (array) or by name (object). */
  $call<R = unknown>(method: string, params?: readonly unknown[] | Record<string, unknown>, options?: CallOptions): Promise<R>;
  /** Notifications: `client.$notify.audit.log("x")` resolves once the server took the request. */
  $notify: Notifier<T>;
}

export type Client<T> = T & ClientHelpers<T>;

/** Property names the proxy never turns into procedures, so `await client` and `JSON.stringify` stay harmless. */
const NOT_PROCEDURES: ReadonlySet<string> = new Set(["then", "toJSON"]);

interface Pending {
  readonly request: { jsonrpc: "2.0"; method: string; params: unknown; id?: number };
  readonly options: CallOptions;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
  settled: boolean;
  cleanup: () => void;
}

/** Creates a client: `createClient<Types>({ url })` where `Types` comes from `@pyrpc/types`. */
export function createClient<T extends object = Record<string, never>>(options: ClientOptions): Client<T> {
  const transport = new Transport(options);
  return procedureProxy(transport, [], {}, false) as Client<T>;
}

function procedureProxy(transport: Transport, path: readonly string[], defaults: CallOptions, notify: boolean): unknown {
  // A function target, so that `users(...)` works when `users` is a procedure and a namespace.
  const target = function pyrpcProcedure(): void {};
  const children = new Map<string, unknown>(); // so that client.users === client.users
  return new Proxy(target, {
    get(_target, property) {
      if (typeof property === "symbol" || NOT_PROCEDURES.has(property)) return undefined;
      if (path.length === 0 && !notify) {
        if (property === "$with") {
          return (options: CallOptions) => procedureProxy(transport, [], { ...defaults, ...options }, false);
        }
        if (property === "$call") {
          return (method: string, params?: unknown, options?: CallOptions) =>
            transport.call(method, params ?? [], { ...defaults, ...options }, false);
        }
        if (property === "$notify") property = "\0notify";
      }
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
      if (path.length === 0) return Promise.reject(new TypeError("the client is not a procedure: call client.<name>(...)"));
      return transport.call(path.join("."), positional(args), defaults, notify);
    },
  });
}

/** Arguments as by-position params; trailing `undefined`s are dropped so the server's defaults apply. */
function positional(args: unknown[]): unknown[] {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  return args.slice(0, end);
}

class Transport {
  private nextId = 1;
  private queue: Pending[] = [];
  private flushScheduled = false;
  private readonly maxBatch: number;

  constructor(private readonly options: ClientOptions) {
    const batch = options.batch;
    this.maxBatch = batch ? Math.max(1, (typeof batch === "object" ? batch.maxSize : undefined) ?? 100) : 0;
  }

  call(method: string, params: unknown, callOptions: CallOptions, notification: boolean): Promise<unknown> {
    const request: Pending["request"] = { jsonrpc: "2.0", method, params };
    if (!notification) request.id = this.nextId++;
    const options: CallOptions = { timeout: this.options.timeout, ...callOptions };
    return new Promise((resolve, reject) => {
      const pending: Pending = { request, options, resolve, reject, settled: false, cleanup: () => {} };
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
    for (let start = 0; start < waiting.length; start += this.maxBatch) {
      const group = waiting.slice(start, start + this.maxBatch);
      void this.send(group, group.length > 1);
    }
  }

  /** POSTs the calls (one request, or a batch) and settles each from the answer. */
  private async send(calls: Pending[], asBatch: boolean): Promise<void> {
    // The HTTP request is abandoned once every call in it is settled (aborted or timed out).
    const controller = new AbortController();
    const abandon = (): void => {
      if (calls.every((c) => c.settled)) controller.abort();
    };
    for (const call of calls) {
      const cleanup = call.cleanup;
      call.cleanup = () => {
        cleanup();
        queueMicrotask(abandon);
      };
    }
    try {
      const headers = new Headers(await this.headers());
      headers.set("content-type", "application/json");
      if (!headers.has("accept")) headers.set("accept", "application/json");
      const body = JSON.stringify(asBatch ? calls.map((c) => c.request) : calls[0]?.request);
      const fetchFn = this.options.fetch ?? globalThis.fetch;
      let response: Response;
      try {
        response = await fetchFn(String(this.options.url), { method: "POST", headers, body, signal: controller.signal });
      } catch (error) {
        throw controller.signal.aborted
          ? error
          : new TransportError("network", `could not reach ${String(this.options.url)}: ${describe(error)}`, { cause: error });
      }
      const text = await response.text();
      if (!response.ok) {
        throw new TransportError("http", `HTTP ${response.status} from ${String(this.options.url)}`, {
          status: response.status,
          body: text.slice(0, 1000),
        });
      }
      const answers = parseAnswers(text, response.status);
      settleAll(calls, answers);
    } catch (error) {
      for (const call of calls) settle(call, () => call.reject(error));
    }
  }

  private async headers(): Promise<HeaderValues> {
    const given = this.options.headers;
    if (given === undefined) return {};
    return typeof given === "function" ? await given() : given;
  }
}

function settle(pending: Pending, action: () => void): void {
  if (pending.settled) return;
  pending.settled = true;
  pending.cleanup();
  action();
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

/** The response body as a list of answer objects (none for 204 or an empty body). */
function parseAnswers(text: string, status: number): Record<string, unknown>[] {
  if (status === 204 || text.trim() === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TransportError("parse", "the server's answer is not JSON", { status, body: text.slice(0, 1000), cause: error });
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  if (!list.every((item) => typeof item === "object" && item !== null && !Array.isArray(item))) {
    throw new TransportError("protocol", "the server's answer is not a JSON-RPC response", { status, body: text.slice(0, 1000) });
  }
  return list as Record<string, unknown>[];
}

function toRpcError(error: unknown, method: string | undefined): RpcError | TransportError {
  if (typeof error !== "object" || error === null) {
    return new TransportError("protocol", "malformed JSON-RPC error object");
  }
  const { code, message, data } = error as { code?: unknown; message?: unknown; data?: unknown };
  return new RpcError(
    typeof code === "number" ? code : -32603,
    typeof message === "string" ? message : "unknown error",
    data,
    method,
  );
}

function settleAll(calls: Pending[], answers: Record<string, unknown>[]): void {
  const byId = new Map<unknown, Record<string, unknown>>();
  let general: Record<string, unknown> | undefined; // an error about the whole request (id null)
  for (const answer of answers) {
    if (answer["id"] === null || answer["id"] === undefined) {
      if ("error" in answer) general = answer;
    } else {
      byId.set(answer["id"], answer);
    }
  }
  for (const call of calls) {
    const id = call.request.id;
    if (id === undefined) {
      // A notification: nothing comes back, unless the whole request was refused.
      settle(call, () => (general ? call.reject(toRpcError(general["error"], call.request.method)) : call.resolve(undefined)));
      continue;
    }
    const answer = byId.get(id) ?? (calls.length === 1 ? singleAnswer(answers) : undefined) ?? general;
    settle(call, () => {
      if (answer === undefined) {
        call.reject(new TransportError("protocol", `no answer for call ${id} (${call.request.method})`));
      } else if ("error" in answer) {
        call.reject(toRpcError(answer["error"], answer === general ? undefined : call.request.method));
      } else if ("result" in answer) {
        call.resolve(answer["result"]);
      } else {
        call.reject(new TransportError("protocol", `answer ${id} has neither result nor error`));
      }
    });
  }
}

/** For a single call, an answer whose id does not match is still an error about the request. */
function singleAnswer(answers: Record<string, unknown>[]): Record<string, unknown> | undefined {
  const only = answers.length === 1 ? answers[0] : undefined;
  return only && "error" in only ? only : undefined;
}
