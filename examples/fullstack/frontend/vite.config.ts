// The dev server proxies /rpc to the backend (`pyrpc dev`, port 8000 unless PYRPC_BACKEND says
// otherwise), so the page calls its own origin: no CORS set-up on the backend.
import { defineConfig } from "vite";

const backend = process.env.PYRPC_BACKEND ?? "http://127.0.0.1:8000";

export default defineConfig({
  server: {
    proxy: { "/rpc": backend },
    // `pyrpc dev` rewrites node_modules/@pyrpc/types on every save of a .py file: watch it,
    // and serve it as it is rather than from Vite's pre-bundled copy, so the page reloads with it.
    watch: { ignored: ["!**/node_modules/@pyrpc/types/**"] },
  },
  preview: { proxy: { "/rpc": backend } },
  optimizeDeps: { exclude: ["@pyrpc/types"] },
});
