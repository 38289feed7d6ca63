/** The two ways a call can fail: the server answered with an error, or no usable answer came. */

/** JSON-RPC 2.0's own error codes; procedures' `RpcError(code=...)` codes pass through as raised. */
export const ErrorCodes = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  /** Invalid params: `data` holds pydantic's validation errors (`loc`, `msg`, `type`, ...). */
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** pyRPC: the call ran past its deadline (`@rpc(timeout=...)`, `Limits.timeout`). */
  TIMEOUT: -32001,
  /** pyRPC: the server has too much in hand and refused the request before running anything (HTTP 503, `Retry-After`). */
  OVERLOADED: -32002,
  /** pyRPC: a streaming procedure called as a plain call (in a batch, or without `Accept: text/event-stream`); nothing ran. */
  STREAM_ONLY: -32003,
} as const;

/** The server answered the call with a JSON-RPC error object: `code`, `message`, `data` as sent. */
export class RpcError extends Error {
  override readonly name = "RpcError";
  readonly code: number;
  readonly data: unknown;
  /** The procedure that was called (undefined when the server could not tell, e.g. a parse error). */
  readonly method: string | undefined;

  constructor(code: number, message: string, data?: unknown, method?: string) {
    super(message);
    this.code = code;
    this.data = data;
    this.method = method;
  }

  /** Whether the params were refused (-32602); `data` then lists what was wrong. */
  get isValidationError(): boolean {
    return this.code === ErrorCodes.INVALID_PARAMS;
  }
}

/**
 * One entry of an invalid params error's `data` (-32602): a pydantic validation error as the
 * server sends it (pydantic's `ValidationError.json(include_url=False)`).
 */
export interface ValidationIssue {
  /** pydantic's error type: `"missing"`, `"int_parsing"`, `"extra_forbidden"`, `"unexpected_positional_argument"`... */
  type: string;
  /** Where: the parameter's name (a position for an argument too many), then the fields and indexes inside it. */
  loc: (string | number)[];
  /** What is wrong, in a sentence for people. */
  msg: string;
  /** The value refused (for a missing parameter, the params around it). */
  input: unknown;
  /** The rule's parameters, when it has any: `{ gt: 5 }` for `"greater_than"`. */
  ctx?: { [key: string]: unknown };
}

/** The `data` of an invalid params error (-32602): what was wrong, one entry per problem. */
export type ValidationErrorData = ValidationIssue[];

/** An `RpcError` for invalid params: `code` -32602 and `data` the list of what was wrong. */
export type ValidationRpcError = RpcError & { readonly code: -32602; readonly data: ValidationErrorData };

/**
 * Whether the server refused the params (-32602), which the generated types make rare (a value
 * out of a constraint, say): then `error.data` lists each problem, typed `ValidationErrorData`.
 * `if (isValidationError(e)) for (const issue of e.data) console.log(issue.loc.join("."), issue.msg)`.
 */
export function isValidationError(error: unknown): error is ValidationRpcError {
  return error instanceof RpcError && error.code === ErrorCodes.INVALID_PARAMS && Array.isArray(error.data);
}

/** Why no JSON-RPC answer arrived. */
export type TransportErrorKind = "network" | "http" | "timeout" | "parse" | "protocol";

/**
 * The call got no JSON-RPC answer: the server was unreachable (`network`), answered with an
 * HTTP error (`http`, with `status`), took longer than the timeout (`timeout`), sent something
 * that is not JSON (`parse`) or not a JSON-RPC answer to this call (`protocol`). The procedure
 * may or may not have run. A call aborted through its own `AbortSignal` rejects with the
 * signal's reason instead, as `fetch` does.
 */
export class TransportError extends Error {
  override readonly name: string = "TransportError";
  readonly kind: TransportErrorKind;
  readonly status: number | undefined;
  /** The start of the response body, when there was one. */
  readonly body: string | undefined;
  /** The response's `Retry-After`, in milliseconds, when it had one (HTTP 429, 503). */
  readonly retryAfter: number | undefined;

  constructor(
    kind: TransportErrorKind,
    message: string,
    details: { status?: number; body?: string; retryAfter?: number | undefined; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.status = details.status;
    this.body = details.body;
    this.retryAfter = details.retryAfter;
  }
}

/** What a call rejects with, besides its own signal's abort reason. */
export type ClientError = RpcError | TransportError;

/** The same class under the name the docs of other RPC clients use. */
export { TransportError as RpcTransportError };

/** An `RpcError` from a JSON-RPC error object (a `TransportError` when it is not one). */
export function toRpcError(error: unknown, method: string | undefined): RpcError | TransportError {
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

/** An error's message, with its cause's (node's fetch says "fetch failed", the cause says why). */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
