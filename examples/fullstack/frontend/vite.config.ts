// The dev server proxies /rpc to the backend (`pyrpc dev`, port 8000 unless PYRPC_BACKEND says
// otherwise), so the page calls its own origin: no CORS set-up on the backend.
//
// Nothing is needed for the generated types. package.json declares "@pyrpc/types":
// "file:pyrpc/types", so node_modules/@pyrpc/types is a link to ../../pyrpc/types. Vite
// resolves the link to its real path, pyrpc/types/index.js: a file of this project outside
// node_modules, which Vite serves as source (never pre-bundled, so no stale copy: no
// optimizeDeps.exclude) and watches like src/. When `pyrpc dev` rewrites it after a Python
// save, the page reloads with the new runtime values (enum objects, the list of procedures).
// The types themselves (index.d.ts) are for tsc and your editor.
import { defineConfig } from "vite";

const backend = process.env.PYRPC_BACKEND ?? "http://127.0.0.1:8000";

export default defineConfig({
  server: { proxy: { "/rpc": backend } },
  preview: { proxy: { "/rpc": backend } },
});
