// The dev server proxies /rpc to the backend (`pyrpc dev`, port 8000 unless PYRPC_BACKEND says
// otherwise), so the page calls its own origin: no CORS set-up on the backend.
import { existsSync, watch } from "node:fs";
import { resolve } from "node:path";
import { defineConfig, type Plugin } from "vite";

const backend = process.env.PYRPC_BACKEND ?? "http://127.0.0.1:8000";

/**
 * `pyrpc dev` rewrites node_modules/@pyrpc/types on every save of a .py file. Vite's watcher
 * leaves node_modules alone, so tell it: the page then reloads with the new runtime values
 * (enum objects, the list of procedures). The types themselves are for tsc and your editor.
 */
function pyrpcTypes(): Plugin {
  return {
    name: "pyrpc-types",
    apply: "serve",
    configureServer(server) {
      const folder = resolve(server.config.root, "node_modules/@pyrpc/types");
      if (!existsSync(folder)) return; // `pyrpc dev` has not run yet: nothing to watch
      let timer: ReturnType<typeof setTimeout> | undefined;
      const watcher = watch(folder, () => {
        clearTimeout(timer);
        timer = setTimeout(() => server.watcher.emit("change", resolve(folder, "index.js")), 50);
      });
      server.httpServer?.once("close", () => watcher.close());
    },
  };
}

export default defineConfig({
  plugins: [pyrpcTypes()],
  server: { proxy: { "/rpc": backend } },
  preview: { proxy: { "/rpc": backend } },
  // Served as it is on disk rather than from Vite's pre-bundled copy, which would go stale.
  optimizeDeps: { exclude: ["@pyrpc/types"] },
});
