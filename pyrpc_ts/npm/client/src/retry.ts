/**
 * When a failed call may be sent again, and after how long. Pure functions of the error:
 * the transport asks them and does the waiting.
 *
 * A call is retried only when sending it again cannot do what it would not have done once:
 * - any procedure, when the request surely did not run: the connection was refused (or the
 *   host not found), the server said it is overloaded (HTTP 503 or an answer with -32002,
 *   which pyRPC sends before running anything), or HTTP 429 (rate limited);
 * - an idempotent procedure (`@rpc(idempotent=True)`, listed in `meta.idempotent`), also when
 *   the call may have run: a network error mid-request, HTTP 502/503/504, a deadline (-32001).
 * Never after the procedure's own error, an abort, the call's own timeout, or an answer that
 * could not be read.
 */

import { ErrorCodes, RpcError, TransportError } from "./errors.js";

export interface RetryOptions {
  /** Tries in all, the first included (default 3); 1 means no retry. */
  attempts?: number | undefined;
  /** Milliseconds: the backoff's cap doubles from this at each retry (default 100). */
  baseDelay?: number | undefined;
  /** Milliseconds: the longest wait between tries (default 5000); a `Retry-After` above it ends the retries. */
  maxDelay?: number | undefined;
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelay: number;
  readonly maxDelay: number;
}

const DEFAULTS: RetryPolicy = { attempts: 3, baseDelay: 100, maxDelay: 5000 };

/** The policy from the `retry` option: undefined (off) for `false`, `undefined` or one attempt. */
export function retryPolicy(option: boolean | RetryOptions | undefined): RetryPolicy | undefined {
  if (!option) return undefined;
  const given = option === true ? {} : option;
  const policy = {
    attempts: Math.floor(given.attempts ?? DEFAULTS.attempts),
    baseDelay: Math.max(0, given.baseDelay ?? DEFAULTS.baseDelay),
    maxDelay: Math.max(0, given.maxDelay ?? DEFAULTS.maxDelay),
  };
  return policy.attempts > 1 ? policy : undefined;
}

/** Network error codes (node) that mean the request never reached a server. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

/** Whether `error` allows another try of a call to a procedure that is (or is not) idempotent. */
export function mayRetry(error: unknown, idempotent: boolean): boolean {
  if (error instanceof RpcError) {
    return error.code === ErrorCodes.OVERLOADED || (idempotent && error.code === ErrorCodes.TIMEOUT);
  }
  if (!(error instanceof TransportError)) return false;
  if (error.kind === "network") return idempotent || notSent(error.cause);
  if (error.kind !== "http") return false;
  const status = error.status;
  if (status === 429 || (status === 503 && overloaded(error.body))) return true;
  return idempotent && (status === 502 || status === 503 || status === 504);
}

/** Whether a network error's cause says the connection was never made. */
function notSent(cause: unknown, depth = 0): boolean {
  if (typeof cause !== "object" || cause === null || depth > 3) return false;
  const { code, errors } = cause as { code?: unknown; errors?: unknown };
  if (typeof code === "string" && NOT_SENT.has(code)) return true;
  if (Array.isArray(errors) && errors.length > 0 && errors.every((e) => notSent(e, depth + 1))) return true;
  return notSent((cause as { cause?: unknown }).cause, depth + 1);
}

/** Whether an HTTP error's body is pyRPC's "overloaded" answer (-32002): nothing ran. */
function overloaded(body: string | undefined): boolean {
  if (!body || !body.includes(String(ErrorCodes.OVERLOADED))) return false;
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } };
    return parsed.error?.code === ErrorCodes.OVERLOADED;
  } catch {
    return false;
  }
}

/**
 * Milliseconds to wait before try `attempt + 1` (`attempt` counts from 1): full jitter, a random
 * time up to `min(maxDelay, baseDelay * 2 ** (attempt - 1))`, but never less than the server's
 * `Retry-After`. Undefined when `Retry-After` asks for more than `maxDelay` (give up now).
 */
export function retryDelay(policy: RetryPolicy, attempt: number, error: unknown, random: () => number = Math.random): number | undefined {
  const retryAfter = error instanceof TransportError ? error.retryAfter : undefined;
  if (retryAfter !== undefined && retryAfter > policy.maxDelay) return undefined;
  const cap = Math.min(policy.maxDelay, policy.baseDelay * 2 ** (attempt - 1));
  return Math.max(retryAfter ?? 0, Math.floor(random() * cap));
}

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date (undefined when absent or unreadable). */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
