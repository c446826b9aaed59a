// Tiny demo app for patchpilot. Do not deploy: its dependencies are pinned to vulnerable versions.
const _ = require('lodash');
const minimist = require('minimist');
const mkdirp = require('mkdirp');
const fetch = require('node-fetch');

const args = minimist(process.argv.slice(2));
const outDir = args.out || 'out';
mkdirp.sync(outDir);

fetch(args.url || 'https://example.com')
  .then((res) => res.text())
  .then((body) => console.log(_.truncate(body, { length: 80 })))
  .catch((err) => console.error(err.message));
