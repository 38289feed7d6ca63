// A fake fetch for the client's tests: records every request and answers through a handler.
export function fakeFetch(handler) {
  const requests = [];
  const fetch = async (url, init) => {
    const body = JSON.parse(init.body);
    const request = { url, init, body, headers: init.headers };
    requests.push(request);
    const answer = await handler(body, request);
    if (answer instanceof Response) return answer;
    if (answer === undefined) return new Response(null, { status: 204 });
    return new Response(JSON.stringify(answer), { status: 200, headers: { "content-type": "application/json" } });
  };
  return { fetch, requests };
}

/** A JSON-RPC server in a function: `procedures` by name, positional params. */
export function jsonRpc(procedures) {
  const one = (request) => {
    const procedure = procedures[request.method];
    if (request.id === undefined) {
      procedure?.(...(Array.isArray(request.params) ? request.params : [request.params]));
      return undefined;
    }
    if (!procedure) return { jsonrpc: "2.0", error: { code: -32601, message: "Method not found" }, id: request.id };
    try {
      const params = Array.isArray(request.params) ? request.params : [request.params];
      return { jsonrpc: "2.0", result: procedure(...params), id: request.id };
    } catch (error) {
      return { jsonrpc: "2.0", error: { code: error.code ?? -32603, message: error.message, data: error.data }, id: request.id };
    }
  };
  return (body) => {
    if (Array.isArray(body)) {
      const answers = body.map(one).filter((a) => a !== undefined);
      return answers.length ? answers : undefined;
    }
    return one(body);
  };
}

export const never = (_body, request) =>
  new Promise((_resolve, reject) => {
    request.init.signal.addEventListener("abort", () => reject(request.init.signal.reason));
  });
