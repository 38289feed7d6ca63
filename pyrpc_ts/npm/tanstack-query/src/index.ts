/**
 * @pyrpc/tanstack-query: TanStack Query v5 options and keys for a pyRPC client, typed by the
 * generated `@pyrpc/types`. Framework-agnostic: the options work with `@tanstack/query-core`
 * (`QueryClient`, `QueryObserver`) and every adapter built on it (React, Vue, Solid, Svelte,
 * Angular). Only types come from `@tanstack/query-core`; at run time this is a small Proxy that
 * builds plain option objects and calls `client.$call`.
 *
 * ```ts
 * const client = createClient<Types, Procedures>({ url: "/rpc", meta });
 * const rpc = createQueryUtils(client);
 * const user = await queryClient.fetchQuery(rpc.users.get.queryOptions([1]));
 * await queryClient.invalidateQueries({ queryKey: rpc.users.pathKey() }); // users.* all
 * const steps = await queryClient.fetchQuery(rpc.progress.streamedQueryOptions(["job"])); // a stream's items
 * ```
 */

import type { CallOptions, Client, ClientError, ProcedureEntry } from "@pyrpc/client";
import type {
  DataTag,
  GetNextPageParamFunction,
  InfiniteData,
  InfiniteQueryObserverOptions,
  MutationObserverOptions,
  QueryFunctionContext,
  QueryKey,
  QueryObserverOptions,
} from "@tanstack/query-core";

export type { ClientError } from "@pyrpc/client";

/** The query options one call gives: `queryKey` tagged with the result and error types, `queryFn` calling the procedure. */
export type RpcQueryOptions<R, TData = R> = QueryObserverOptions<R, ClientError, TData, R, QueryKey> & {
  queryKey: DataTag<QueryKey, R, ClientError>;
  queryFn: (context: QueryFunctionContext) => Promise<R>;
};

/** What `queryOptions(params, options)` takes: any query option but the key and the function. */
export type QueryOptionsIn<R, TData = R> = Omit<QueryObserverOptions<R, ClientError, TData, R, QueryKey>, "queryKey" | "queryFn">;

/** The mutation options of a procedure: `mutate(args)` calls it with the params by position. */
export type RpcMutationOptions<A, R, TOnMutateResult = unknown> = MutationObserverOptions<R, ClientError, A, TOnMutateResult> & {
  mutationKey: QueryKey;
  mutationFn: (variables: A) => Promise<R>;
};

/** What `mutationOptions(options)` takes: any mutation option but the key and the function. */
export type MutationOptionsIn<A, R, TOnMutateResult = unknown> = Omit<MutationObserverOptions<R, ClientError, A, TOnMutateResult>, "mutationKey" | "mutationFn">;

/** The params of `queryOptions`/`queryKey`: optional when the procedure needs none. */
type ParamsArg<A extends readonly unknown[], Rest extends unknown[]> = [] extends A ? [params?: A, ...rest: Rest] : [params: A, ...rest: Rest];

/** What each procedure of the API gets. */
export interface ProcedureUtils<A extends readonly unknown[], R> {
  /** `["pyrpc", ...path, params]`: the key of this call (without params: every call of the procedure). */
  queryKey(): QueryKey;
  queryKey(...params: ParamsArg<A, []>): DataTag<QueryKey, R, ClientError>;
  /** `{ queryKey, queryFn, ...options }` for `useQuery`, `fetchQuery`, `QueryObserver`...: the call by position. */
  queryOptions<TData = R>(...args: ParamsArg<A, [options?: QueryOptionsIn<R, TData>]>): RpcQueryOptions<R, TData>;
  /** `{ mutationKey, mutationFn, ...options }`: `mutate([a, b])` calls the procedure with those params. */
  mutationOptions<TOnMutateResult = unknown>(options?: MutationOptionsIn<A, R, TOnMutateResult>): RpcMutationOptions<A, R, TOnMutateResult>;
  /** The key prefix of every query of this procedure, for `invalidateQueries({ queryKey })`. */
  pathKey(): QueryKey;
}

/** What a streaming procedure (a generator) gets: not a query of one result, but its items so far. */
export interface StreamUtils<A extends readonly unknown[], T> {
  /** `["pyrpc", ...path, params]`: the key of this stream's query (without params: every one of the procedure). */
  queryKey(): QueryKey;
  queryKey(...params: ParamsArg<A, []>): DataTag<QueryKey, T[], ClientError>;
  /**
   * Query options whose data is the items received so far, growing as they arrive (the query
   * is `success` from the first item and `fetching` until the stream ends); a refetch starts
   * the list again from its first item. The query's signal stops the stream.
   */
  streamedQueryOptions<TData = T[]>(...args: ParamsArg<A, [options?: QueryOptionsIn<T[], TData>]>): RpcQueryOptions<T[], TData>;
  /** The key prefix of every query of this procedure. */
  pathKey(): QueryKey;
}

/** The page param of a cursor procedure: its `cursor` param's type, without `undefined`. */
export type CursorOf<Params> = Params extends { cursor?: infer C } ? Exclude<C, undefined> : never;

/** What `infiniteQueryOptions(params, options)` takes; `initialPageParam` defaults to null, `getNextPageParam` to the result's `next`. */
export type InfiniteOptionsIn<R, C, TData> = Omit<
  InfiniteQueryObserverOptions<R, ClientError, TData, QueryKey, C>,
  "queryKey" | "queryFn" | "initialPageParam" | "getNextPageParam"
> &
  (null extends C ? { initialPageParam?: C } : { initialPageParam: C }) &
  (R extends { next: C | null | undefined } ? { getNextPageParam?: GetNextPageParamFunction<C, R> } : { getNextPageParam: GetNextPageParamFunction<C, R> });

/** The infinite query options one call gives. */
export type RpcInfiniteQueryOptions<R, C, TData = InfiniteData<R, C>> = InfiniteQueryObserverOptions<R, ClientError, TData, QueryKey, C> & {
  queryKey: DataTag<QueryKey, InfiniteData<R, C>, ClientError>;
  queryFn: (context: QueryFunctionContext<QueryKey, C>) => Promise<R>;
};

/** Infinite queries, for a procedure with a `cursor` parameter (by name: the client must have `Procedures`). */
export interface InfiniteUtils<Params, R> {
  /** `["pyrpc", ...path, { infinite: params }]` (without params: every infinite query of the procedure). */
  infiniteQueryKey(params?: Omit<Params, "cursor">): DataTag<QueryKey, InfiniteData<R, CursorOf<Params>>, ClientError>;
  /** Pages by cursor: each page is called by name, with `cursor` set to the page param. */
  infiniteQueryOptions<TData = InfiniteData<R, CursorOf<Params>>>(
    params: Omit<Params, "cursor">,
    options?: InfiniteOptionsIn<R, CursorOf<Params>, TData>,
  ): RpcInfiniteQueryOptions<R, CursorOf<Params>, TData>;
}

/** What every namespace (and the root) gets. */
export interface NamespaceUtils {
  /** The key prefix of every query below this name: `rpc.users.pathKey()` matches `users.*`. */
  pathKey(): QueryKey;
}

type Wire<Path extends string, K extends string> = Path extends "" ? K : `${Path}.${K}`;

type Infinite<P, W extends string, R> = [P] extends [never]
  ? unknown
  : W extends keyof P
    ? P[W] extends ProcedureEntry
      ? "cursor" extends keyof P[W]["params"]
        ? InfiniteUtils<P[W]["params"], R>
        : unknown
      : unknown
    : unknown;

/** The utils of an API: its procedures and namespaces as in `Types`, each with the helpers above. */
export type QueryUtils<T, P = never, Path extends string = ""> = {
  [K in keyof T & string as K extends `$${string}` ? never : K]: (T[K] extends (...args: infer A) => Promise<infer R>
    ? ProcedureUtils<A, R> & Infinite<P, Wire<Path, K>, R>
    : T[K] extends (...args: infer A) => AsyncIterable<infer I>
      ? StreamUtils<A, I>
      : NamespaceUtils) &
    QueryUtils<T[K], P, Wire<Path, K>>;
} & (Path extends "" ? NamespaceUtils : unknown);

export interface QueryUtilsOptions {
  /** The first element of every key (default `"pyrpc"`): two APIs in one `QueryClient` need different ones. */
  prefix?: string | undefined;
  /** Options for every call made by a query or a mutation (a timeout, retries); the query's signal is added. */
  call?: CallOptions | undefined;
}

/** Names the utils answer at every level; a procedure or namespace of the same name is out of their reach. */
const HELPERS = new Set(["queryKey", "queryOptions", "mutationOptions", "pathKey", "infiniteQueryKey", "infiniteQueryOptions", "streamedQueryOptions"]);

type LooseCall = (method: string, params: unknown, options: CallOptions) => Promise<unknown>;
type LooseStream = (method: string, params: unknown, options: CallOptions) => AsyncIterable<unknown>;

/** What `streamedQueryOptions`' query function uses of the query's context (`client`: in recent v5 releases). */
interface StreamContext {
  signal: AbortSignal;
  queryKey: QueryKey;
  client?: { setQueryData(queryKey: QueryKey, data: unknown): unknown } | undefined;
}

/**
 * Query utils for a client: `createQueryUtils(client).users.get.queryOptions([1])`.
 * Keys are `[prefix, ...path segments, params]`: `["pyrpc", "users", "get", [1]]`, the params as
 * given (by position, trailing `undefined`s dropped), so `pathKey()` of a namespace is a prefix
 * of every key below it.
 */
export function createQueryUtils<T, P = never>(client: Client<T, P>, options: QueryUtilsOptions = {}): QueryUtils<T, P> {
  const { $call: call, $stream: stream } = client as unknown as { $call: LooseCall; $stream: LooseStream };
  const root = [options.prefix ?? "pyrpc"] as const;
  const callOptions = options.call ?? {};

  function node(path: readonly string[]): unknown {
    const method = path.join(".");
    const pathKey = (): QueryKey => [...root, ...path];
    const helpers: Record<string, unknown> = {
      pathKey,
      queryKey: (...args: [(readonly unknown[] | undefined)?]): QueryKey => (args.length === 0 ? pathKey() : [...pathKey(), positional(args[0])]),
      queryOptions: (params?: readonly unknown[], queryOptions?: object) => {
        const given = positional(params);
        return {
          ...queryOptions,
          queryKey: [...pathKey(), given],
          queryFn: ({ signal }: { signal: AbortSignal }) => call(method, given, { ...callOptions, signal }),
        };
      },
      mutationOptions: (mutationOptions?: object) => ({
        ...mutationOptions,
        mutationKey: pathKey(),
        mutationFn: (variables: readonly unknown[] | undefined) => call(method, positional(variables), callOptions),
      }),
      streamedQueryOptions: (params?: readonly unknown[], queryOptions?: object) => {
        const given = positional(params);
        return {
          ...queryOptions,
          queryKey: [...pathKey(), given],
          queryFn: async ({ signal, queryKey, client: queryClient }: StreamContext) => {
            const items: unknown[] = [];
            for await (const item of stream(method, given, { ...callOptions, signal })) {
              items.push(item);
              queryClient?.setQueryData(queryKey, [...items]); // the data so far, a new array each time
            }
            return items;
          },
        };
      },
      infiniteQueryKey: (params?: object): QueryKey => (params === undefined ? pathKey() : [...pathKey(), { infinite: params }]),
      infiniteQueryOptions: (params: object, infinite: { initialPageParam?: unknown; getNextPageParam?: unknown } = {}) => ({
        getNextPageParam: (last: unknown) => (typeof last === "object" && last !== null ? ((last as { next?: unknown }).next ?? null) : null),
        ...infinite,
        initialPageParam: "initialPageParam" in infinite ? infinite.initialPageParam : null,
        queryKey: [...pathKey(), { infinite: params }],
        queryFn: ({ signal, pageParam }: { signal: AbortSignal; pageParam: unknown }) =>
          call(method, { ...params, cursor: pageParam }, { ...callOptions, signal }),
      }),
    };
    const children = new Map<string, unknown>();
    return new Proxy(helpers, {
      get(target, property) {
        if (typeof property === "symbol" || property === "then" || property === "toJSON") return undefined;
        if (HELPERS.has(property)) return path.length === 0 && property !== "pathKey" ? undefined : target[property];
        let child = children.get(property);
        if (child === undefined) {
          child = node([...path, property]);
          children.set(property, child);
        }
        return child;
      },
    });
  }

  return node([]) as QueryUtils<T, P>;
}

/** Params by position as a key holds them: a copy, trailing `undefined`s dropped (as the client sends them). */
function positional(params: readonly unknown[] | undefined): unknown[] {
  const args = params === undefined ? [] : [...params];
  while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
  return args;
}
