// The client's test helpers serve this package's tests too: one fake fetch, one JSON-RPC stand-in, one tsc project.
export { corpusPackage, fakeFetch, jsonRpc, never, repository, typecheck } from "../../client/test/helpers.mjs";
