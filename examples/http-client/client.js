// A client for a token-protected API that moved: the old address redirects to the new one on
// another host. It relies on node-fetch sending the Authorization header along the redirect,
// which node-fetch 2.6.7 stops doing across hosts (GHSA-r683-j2x4-v87g): the fix breaks it.
const fetch = require('node-fetch');

const getProfile = async (baseUrl, token) => {
  const res = await fetch(`${baseUrl}/profile`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`profile: HTTP ${res.status}`);
  return res.json();
};

module.exports = { getProfile };
