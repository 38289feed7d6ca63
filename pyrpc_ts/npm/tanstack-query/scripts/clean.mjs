// Removes the previous build, so a deleted source leaves nothing behind in dist/.
import { rmSync } from "node:fs";
rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });
