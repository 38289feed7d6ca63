#!/usr/bin/env node
// `npx pyrpc ...`: the command line of @pyrpc/client (see dist/cjs/cli.js).
"use strict";
require("../dist/cjs/cli.js")
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
