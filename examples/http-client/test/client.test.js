const { test } = require('node:test');
const assert = require('node:assert');
const http = require('node:http');
const { getProfile } = require('../client.js');

const listen = (handler) =>
  new Promise((resolve) => {
    const server = http.createServer(handler);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });

test('the profile is fetched through the redirect to the new host', async () => {
  const api = await listen((req, res) => {
    if (req.headers.authorization !== 'Bearer s3cret') {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'ada' }));
  });
  // The old address is 127.0.0.1; the new one is named "localhost": another host to node-fetch.
  const old = await listen((req, res) => {
    res.writeHead(301, { location: `http://localhost:${api.address().port}${req.url}` }).end();
  });
  try {
    assert.deepStrictEqual(await getProfile(`http://127.0.0.1:${old.address().port}`, 's3cret'), {
      name: 'ada',
    });
  } finally {
    api.close();
    old.close();
  }
});
