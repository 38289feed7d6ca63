/**
 * The params a call sends. Arguments (the proxy's, or an array given to `$call`, `$notify`,
 * `$stream`) become JSON-RPC params here, so that every call the generated types accept is one
 * the server accepts:
 *
 * - trailing `undefined`s are dropped, so the server's defaults apply;
 * - an `undefined` before a given argument (a gap: `opt_middle(undefined, "y")`) cannot go by
 *   position, since JSON has no `undefined` and `null` is a value the server would check; the
 *   call goes by name instead, with the parameter names `meta.params` carries, the `undefined`
 *   ones left out. Without them the call is refused before anything is sent;
 * - with calls "named" (`meta.calls`), the arguments are the one object of params, sent by name.
 *
 * An object given to `$call` is params by name already, and goes as it is.
 */

import type { ClientMeta } from "./client.js";

/** What the client knows of how to send params, from `meta`. */
export interface ParamsPlan {
  /** Calls take one object of params (`meta.calls === "named"`). */
  readonly named: boolean;
  /** The parameter names of the procedures a call may leave a gap in; undefined: unknown (no `meta.params`). */
  readonly names: ReadonlyMap<string, readonly string[]> | undefined;
}

export function paramsPlan(meta: ClientMeta | undefined): ParamsPlan {
  const names = meta?.params;
  return {
    named: meta?.calls === "named",
    // Own entries only: a procedure named `constructor` or `__proto__` is a key like any other.
    names: names === undefined || names === null ? undefined : new Map(Object.entries(names)),
  };
}

/** The params to send for `params` as given (arguments or an object); throws a `TypeError` for a call that cannot be sent. */
export function paramsOf(method: string, params: unknown, plan: ParamsPlan): unknown {
  if (!Array.isArray(params)) return params ?? [];
  let end = params.length;
  while (end > 0 && params[end - 1] === undefined) end--;
  const given = params.slice(0, end);
  if (plan.named) return namedParams(method, given);
  let gap = -1;
  for (let i = 0; i < given.length && gap < 0; i++) if (given[i] === undefined) gap = i; // holes too
  if (gap < 0) return given;
  const names = plan.names?.get(method);
  if (names === undefined) {
    if (plan.names === undefined) {
      throw new TypeError(
        `${method}: argument ${gap + 1} is undefined but a later one is given, and params by position cannot leave a gap; ` +
          `give createClient the meta of @pyrpc/types (it holds the parameter names, so such a call goes by name), ` +
          `or call $call("${method}", { ... }) with the params by name`,
      );
    }
    // meta says no optional parameter precedes another here: the undefined is a value, sent as JSON sends it (null).
    return given;
  }
  if (given.length > names.length) return given; // more arguments than parameters: the server says which
  return Object.fromEntries(given.flatMap((value, i) => (value === undefined ? [] : [[names[i] as string, value]])));
}

/** Named calls: the arguments are nothing, or the one object of params. */
function namedParams(method: string, given: unknown[]): unknown {
  if (given.length === 0) return [];
  const [only] = given;
  if (given.length === 1 && typeof only === "object" && only !== null) return only;
  throw new TypeError(
    `${method}: this client's procedures take their params by name (meta.calls is "named"): ` +
      `pass one object, as in client.${method}({ ... }), not ${given.length > 1 ? `${given.length} arguments` : only === null ? "null" : `a ${typeof only}`}`,
  );
}
