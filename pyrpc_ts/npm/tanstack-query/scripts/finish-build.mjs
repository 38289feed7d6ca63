// dist/cjs holds CommonJS: a package.json there tells node (and TypeScript) so, whatever the
// package's own "type" says.
import { writeFileSync } from "node:fs";
writeFileSync(new URL("../dist/cjs/package.json", import.meta.url), '{\n  "type": "commonjs"\n}\n');
