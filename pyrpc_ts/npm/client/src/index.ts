/**
 * @pyrpc/client: call Python procedures from TypeScript over JSON-RPC 2.0.
 *
 * ```ts
 * import { createClient, RpcError } from "@pyrpc/client";
 * import type { Types } from "@pyrpc/types";
 *
 * const client = createClient<Types>({ url: "http://127.0.0.1:8000/rpc" });
 * const sum = await client.add(1, 2); // number
 * for await (const step of client.progress("job")) console.log(step); // a generator's items
 * ```
 */
export {
  createClient,
  type CallArgs,
  type CallByName,
  type CallNames,
  type CallOptions,
  type Client,
  type DeclaredError,
  type ErrorNames,
  type IsError,
  type ClientHelpers,
  type ClientMeta,
  type ClientOptions,
  type FetchLike,
  type HeaderValues,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type Middleware,
  type Next,
  type Notifier,
  type NotifyByName,
  type ProcedureEntry,
  type RpcRequest,
  type RpcResponse,
  type StreamByName,
  type StreamNames,
} from "./client.js";
export {
  ErrorCodes,
  RpcError,
  RpcTransportError,
  TransportError,
  isValidationError,
  type ClientError,
  type TransportErrorKind,
  type ValidationErrorData,
  type ValidationIssue,
  type ValidationRpcError,
} from "./errors.js";
export { type RetryOptions } from "./retry.js";
