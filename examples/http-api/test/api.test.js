const { test } = require('node:test');
const assert = require('node:assert');
const { createApp, loadSettings, parseArgs } = require('../server.js');

const withServer = async (fn) => {
  const server = createApp();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    await fn(base);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
};

test('settings are read from JSON5', () => {
  const settings = loadSettings();
  assert.strictEqual(settings.items.length, 2);
  assert.strictEqual(settings.clients, '>=1.2.0 <3');
});

test('the port comes from the command line', () => {
  assert.strictEqual(parseArgs(['--port', '8080']).port, 8080);
  assert.strictEqual(parseArgs(['-p', '9090']).port, 9090);
  assert.strictEqual(parseArgs([]).port, 3000);
});

test('routes match with parameters', async () => {
  await withServer(async (base) => {
    const one = await fetch(`${base}/items/2`);
    assert.strictEqual(one.status, 200);
    assert.deepStrictEqual(await one.json(), { id: 2, name: 'bellows' });
    assert.strictEqual((await fetch(`${base}/items/9`)).status, 404);
    assert.strictEqual((await (await fetch(`${base}/items`)).json()).length, 2);
  });
});

test('a session cookie is set and read back', async () => {
  await withServer(async (base) => {
    const created = await fetch(`${base}/session`, { method: 'POST' });
    assert.strictEqual(created.status, 201);
    const setCookie = created.headers.get('set-cookie');
    assert.match(setCookie, /^session=opaque-token; Path=\/; HttpOnly$/);
    const who = await fetch(`${base}/whoami`, { headers: { cookie: setCookie.split(';')[0] } });
    assert.deepStrictEqual(await who.json(), { session: 'opaque-token' });
  });
});

test('old clients are turned away', async () => {
  await withServer(async (base) => {
    assert.strictEqual(
      (await fetch(`${base}/items`, { headers: { 'x-client-version': 'v1.1.9' } })).status,
      426,
    );
    assert.strictEqual(
      (await fetch(`${base}/items`, { headers: { 'x-client-version': '2.0.1' } })).status,
      200,
    );
  });
});
