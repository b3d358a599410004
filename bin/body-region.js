#!/usr/bin/env node
// Entry point of the `body-region` CLI; the TypeScript sources are compiled to build/node by `npm run build`.
require('../build/node/cli/main.js')
  .main(process.argv.slice(2))
  .then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`body-region: ${err && err.message ? err.message : err}\n`);
      process.exit(1);
    },
  );
