// A small HTTP API: routes matched with path-to-regexp, settings in JSON5, a session cookie,
// the client's version checked with semver, and the port taken from the command line by minimist.
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const cookie = require('cookie');
const JSON5 = require('json5');
const minimist = require('minimist');
const pathToRegexp = require('path-to-regexp');
const semver = require('semver');

const loadSettings = (file = path.join(__dirname, 'settings.json5')) =>
  JSON5.parse(fs.readFileSync(file, 'utf8'));

const compile = (pattern) => {
  const keys = [];
  const re = pathToRegexp(pattern, keys);
  return (pathname) => {
    const m = re.exec(pathname);
    if (!m) return undefined;
    const params = {};
    keys.forEach((key, i) => {
      params[key.name] = decodeURIComponent(m[i + 1]);
    });
    return params;
  };
};

const createApp = (settings = loadSettings()) => {
  const items = new Map(settings.items.map((item) => [String(item.id), item]));
  const routes = [
    [
      'GET',
      compile('/items/:id'),
      (_req, res, params) => {
        const item = items.get(params.id);
        return item ? send(res, 200, item) : send(res, 404, { error: 'no such item' });
      },
    ],
    ['GET', compile('/items'), (_req, res) => send(res, 200, [...items.values()])],
    [
      'POST',
      compile('/session'),
      (_req, res) => {
        res.setHeader(
          'Set-Cookie',
          cookie.serialize('session', 'opaque-token', { httpOnly: true, path: '/' }),
        );
        send(res, 201, { ok: true });
      },
    ],
    [
      'GET',
      compile('/whoami'),
      (req, res) => {
        const cookies = cookie.parse(req.headers.cookie || '');
        send(res, cookies.session ? 200 : 401, { session: cookies.session || null });
      },
    ],
  ];
  return http.createServer((req, res) => {
    const client = req.headers['x-client-version'];
    if (client && !semver.satisfies(semver.coerce(client) || '0.0.0', settings.clients)) {
      return send(res, 426, { error: `client ${client} is not supported (${settings.clients})` });
    }
    const { pathname } = new URL(req.url, 'http://localhost');
    for (const [method, match, handle] of routes) {
      const params = method === req.method ? match(pathname) : undefined;
      if (params) return handle(req, res, params);
    }
    send(res, 404, { error: 'not found' });
  });
};

const send = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const parseArgs = (argv) => minimist(argv, { default: { port: 3000 }, alias: { p: 'port' } });

if (require.main === module) {
  const args = parseArgs(process.argv.slice(2));
  createApp().listen(Number(args.port), () => console.log(`listening on ${args.port}`));
}

module.exports = { createApp, loadSettings, parseArgs };
