// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the .npmrc syntax under test
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/cli.js';
import { PatchPilotError } from '../core/errors.js';
import {
  credentialFor,
  defaultRegistry,
  displayUrl,
  environmentLayer,
  expandEnv,
  isValidPackageName,
  loadNpmConfig,
  type NpmrcLayer,
  nerfDart,
  packumentUrl,
  parseNpmrc,
  registryFor,
  resolveNpmConfig,
} from './npmrc.js';

const values = (text: string, env: Record<string, string> = {}) =>
  Object.fromEntries(parseNpmrc(text, env, '.npmrc').values);

describe('parseNpmrc', () => {
  it('reads key = value lines, skipping comments and blank lines', () => {
    expect(
      values(
        [
          '# a comment',
          '; another',
          '',
          'registry = https://r.example.org/npm/  ',
          '@acme:registry=https://acme.example.org/',
          '//acme.example.org/:_authToken=abc',
        ].join('\r\n'),
      ),
    ).toEqual({
      registry: 'https://r.example.org/npm/',
      '@acme:registry': 'https://acme.example.org/',
      '//acme.example.org/:_authToken': 'abc',
    });
  });

  it('takes quoted values whole and cuts unquoted ones at an unescaped ; or #', () => {
    expect(
      values(
        [
          'a = "x ; y # z"',
          "b = 'single # kept'",
          'c = plain ; trailing comment',
          'd = hash\\#escaped',
          'e = "\\u0041"',
        ].join('\n'),
      ),
    ).toEqual({ a: 'x ; y # z', b: 'single # kept', c: 'plain', d: 'hash#escaped', e: 'A' });
  });

  it('types true, false and null, makes a bare key true and collects key[] arrays', () => {
    expect(values('strict-ssl=false\nalways-auth=true\nproxy=null\nbare\nca[]=one\nca[]=two')).toEqual({
      'strict-ssl': false,
      'always-auth': true,
      proxy: null,
      bare: true,
      ca: ['one', 'two'],
    });
  });

  it('expands ${VAR} in keys and values', () => {
    expect(
      values('//${HOST}/:_authToken=${TOKEN}\nregistry=https://${HOST}/', {
        HOST: 'npm.example.org',
        TOKEN: 's3cret',
      }),
    ).toEqual({ '//npm.example.org/:_authToken': 's3cret', registry: 'https://npm.example.org/' });
  });

  it("reads single-quoted JSON strings and keeps a scalar before key[] as the array's first item", () => {
    expect(values(`a = '"x;y"'\nb = 'it''s'\nca = zero\nca[] = one\nca[] = two`)).toEqual({
      a: 'x;y',
      b: "it''s",
      ca: ['zero', 'one', 'two'],
    });
  });

  it('expands ${VAR?} to nothing when unset, inside quotes too, and leaves ${VAR} as written', () => {
    expect(
      values('a = "${UNSET?} --flag"\nb = ${UNSET}\n//h/:_authToken = ${TOKEN?}\nc = \\${TOKEN}', {
        TOKEN: 't',
      }),
    ).toEqual({ a: ' --flag', b: '${UNSET}', '//h/:_authToken': 't', c: '${TOKEN}' });
  });

  it('leaves settings under an ini [section] out', () => {
    expect(values('a=1\n[section]\nregistry=https://nope.example.org/')).toEqual({ a: '1' });
  });
});

describe('expandEnv', () => {
  it.each([
    ['${A}', 'a'],
    ['x${A}y${B}', 'xaybee'],
    ['${UNSET}', '${UNSET}'],
    ['${UNSET?}', ''],
    ['\\${A}', '${A}'],
    ['\\\\${A}', '\\a'],
  ])('%s → %s', (text, expected) => {
    expect(expandEnv(text, { A: 'a', B: 'bee' })).toBe(expected);
  });
});

describe('environmentLayer', () => {
  it('reads npm_config_* in any case, `_` standing for `-`, nerf-darted keys kept as written', () => {
    const layer = environmentLayer({
      NPM_CONFIG_REGISTRY: 'https://env.example.org/',
      npm_config_https_proxy: 'http://proxy:3128',
      'npm_config_//env.example.org/:_authToken': 'tok',
      npm_config_empty: '',
      OTHER: 'x',
    });
    expect(Object.fromEntries(layer.values)).toEqual({
      registry: 'https://env.example.org/',
      'https-proxy': 'http://proxy:3128',
      '//env.example.org/:_authToken': 'tok',
    });
  });
});

describe('nerfDart and packumentUrl', () => {
  it.each([
    ['https://registry.npmjs.org/', '//registry.npmjs.org/'],
    ['https://registry.npmjs.org/@scope%2fpkg', '//registry.npmjs.org/'],
    ['http://user:pw@127.0.0.1:4873/npm/private/lodash?x=1#y', '//127.0.0.1:4873/npm/private/'],
  ])('%s → %s', (url, dart) => {
    expect(nerfDart(url)).toBe(dart);
  });

  it('writes a scope slash as %2f and joins on one slash', () => {
    expect(packumentUrl('https://r.example.org/npm/', '@types/node')).toBe(
      'https://r.example.org/npm/@types%2fnode',
    );
    expect(packumentUrl('https://r.example.org//', 'left-pad')).toBe('https://r.example.org/left-pad');
  });

  it.each([
    '..',
    '.',
    'a/b',
    '@scope/..',
    '@scope/.',
    '@../x',
    '../x',
    '../../etc/passwd',
    '%2e%2e',
    '@scope/%2e%2e',
    '%2F',
    '',
    '@scope',
    '@scope/',
    '@/x',
    '@scope/a/b',
    'has space',
    ' lead',
    'a:b',
    'a?b',
    'a#b',
    'a\\b',
    '.hidden',
    '_private',
    'node_modules',
    'FAVICON.ICO',
    'caf\u00e9',
  ])('refuses %j', (name) => {
    expect(isValidPackageName(name)).toBe(false);
    expect(packumentUrl(defaultRegistry, name)).toBeUndefined();
  });

  it.each([
    ['lodash.merge', 'https://registry.npmjs.org/lodash.merge'],
    ['JSONStream', 'https://registry.npmjs.org/JSONStream'],
    ['@types/node', 'https://registry.npmjs.org/@types%2fnode'],
    ['@scope/.dotted', 'https://registry.npmjs.org/@scope%2f.dotted'],
    ["old-(style)!*'~", "https://registry.npmjs.org/old-(style)!*'~"],
  ])('accepts %j as %s', (name, url) => {
    expect(isValidPackageName(name)).toBe(true);
    expect(packumentUrl(defaultRegistry, name)).toBe(url);
  });

  it('shows URLs without credentials, query or fragment', () => {
    expect(displayUrl('https://u:p@cdn.example.org/x.json?X-Signature=abc#f')).toBe(
      'https://cdn.example.org/x.json',
    );
  });
});

const layer = (source: string, entries: Record<string, string>): NpmrcLayer => ({
  source,
  values: new Map(Object.entries(entries)),
});

describe('resolveNpmConfig', () => {
  it('lets a higher layer win key by key', () => {
    const config = resolveNpmConfig(
      [
        layer('project', { registry: 'https://project.example.org' }),
        layer('user', {
          registry: 'https://user.example.org/',
          '@acme:registry': 'https://acme.example.org/',
        }),
      ],
      {},
    );
    expect(config.registry).toBe('https://project.example.org/');
    expect(registryFor(config, '@acme/widget')).toBe('https://acme.example.org/');
    expect(registryFor(config, '@other/widget')).toBe('https://project.example.org/');
    expect(registryFor(config, 'lodash')).toBe('https://project.example.org/');
  });

  it('defaults to the public registry', () => {
    expect(resolveNpmConfig([], {}).registry).toBe(defaultRegistry);
  });

  it('refuses a registry that is not an http(s) URL, naming where it was set', () => {
    const bad = () => resolveNpmConfig([layer('/p/.npmrc', { '@acme:registry': 'ftp://x' })], {});
    expect(bad).toThrow(PatchPilotError);
    expect(bad).toThrow(/\/p\/\.npmrc: @acme:registry "ftp:\/\/x" is not an http\(s\) URL/);
    try {
      bad();
    } catch (error) {
      expect((error as PatchPilotError).code).toBe('REGISTRY_CONFIG_INVALID');
    }
  });

  it('does not show credentials written into a refused registry URL', () => {
    expect(() => resolveNpmConfig([layer('u', { registry: 'ftp://me:hunter2@x.example.org/' })], {})).toThrow(
      /^u: registry "ftp:\/\/x\.example\.org\/" is not/,
    );
  });

  it('refuses credentials written into a registry URL without showing them', () => {
    expect(() =>
      resolveNpmConfig([layer('u', { registry: 'https://me:hunter2@r.example.org/' })], {}),
    ).toThrow(/^u: registry "https:\/\/r\.example\.org\/" carries credentials in the URL$/);
  });

  it('matches credentials by host, port and longest path prefix', () => {
    const config = resolveNpmConfig(
      [
        layer('user', {
          '//npm.example.org/:_authToken': 'root-token',
          '//npm.example.org/private/:_authToken': 'private-token',
          '//npm.example.org:8443/:_auth': 'dXNlcjpwYXNz',
          '//basic.example.org/:username': 'me',
          '//basic.example.org/:_password': Buffer.from('pw').toString('base64'),
        }),
      ],
      {},
    );
    const auth = (url: string) => credentialFor(config, url)?.authorization;
    expect(auth('https://npm.example.org/lodash')).toBe('Bearer root-token');
    expect(auth('https://npm.example.org/private/@acme%2fwidget')).toBe('Bearer private-token');
    expect(auth('https://npm.example.org/privateer/x')).toBe('Bearer root-token');
    expect(auth('http://npm.example.org/lodash')).toBe('Bearer root-token');
    expect(auth('https://npm.example.org:8443/lodash')).toBe('Basic dXNlcjpwYXNz');
    expect(auth('https://basic.example.org/x')).toBe(`Basic ${Buffer.from('me:pw').toString('base64')}`);
    expect(auth('https://evil.example.org/npm.example.org/lodash')).toBeUndefined();
    expect(auth('https://sub.npm.example.org/lodash')).toBeUndefined();
  });

  it('never matches another host, a longer host name, another port or a host in the path', () => {
    const config = resolveNpmConfig([layer('user', { '//reg.example/:_authToken': 'tok' })], {});
    const auth = (url: string) => credentialFor(config, url)?.authorization;
    expect(auth('https://reg.example/x')).toBe('Bearer tok');
    expect(auth('https://reg.example:443/x')).toBe('Bearer tok');
    expect(auth('https://reg.example/deep/path/x')).toBe('Bearer tok');
    for (const url of [
      'https://reg.example.evil/x',
      'https://evil-reg.example/x',
      'https://reg.example:8443/x',
      'http://reg.example:443/x',
      'https://evil.example/reg.example/x',
      'https://evil.example//reg.example/x',
      'https://reg.example@evil.example/x',
      'https://evil.example/?//reg.example/',
    ]) {
      expect([url, auth(url)]).toEqual([url, undefined]);
    }
  });

  it('prefers the key written with the trailing slash when both spellings are set', () => {
    const config = resolveNpmConfig(
      [layer('p', { '//r.example/npm/:_authToken': 'slash', '//r.example/npm:_authToken': 'bare' })],
      {},
    );
    expect(credentialFor(config, 'https://r.example/npm/x')?.authorization).toBe('Bearer slash');
    const reversed = resolveNpmConfig(
      [layer('p', { '//r.example/npm:_authToken': 'bare', '//r.example/npm/:_authToken': 'slash' })],
      {},
    );
    expect(credentialFor(reversed, 'https://r.example/npm/x')?.authorization).toBe('Bearer slash');
  });

  it('keeps tokens out of JSON and inspection of the configuration', () => {
    const config = resolveNpmConfig(
      [layer('u', { '//r.example/:_authToken': 'tok-s3cret', '//b.example/:_auth': 'YmFzaWMtczNjcmV0' })],
      {},
    );
    const credentials = [...config.credentials.values()];
    expect(credentials.map((c) => c.authorization)).toEqual(['Bearer tok-s3cret', 'Basic YmFzaWMtczNjcmV0']);
    const shown = JSON.stringify(credentials) + inspect(config, { depth: 5 });
    expect(shown).toContain('//r.example/');
    expect(shown).not.toMatch(/s3cret|YmFzaWMtczNjcmV0/);
  });

  it('gives a scoped registry its own token and the default registry none of it', () => {
    const config = resolveNpmConfig(
      [
        layer('project', {
          '@acme:registry': 'https://acme.example.org/npm/',
          '//acme.example.org/npm/:_authToken': 'acme-token',
        }),
      ],
      {},
    );
    const acme = packumentUrl(registryFor(config, '@acme/widget'), '@acme/widget') as string;
    const publicOne = packumentUrl(registryFor(config, 'lodash'), 'lodash') as string;
    expect(credentialFor(config, acme)).toMatchObject({
      authorization: 'Bearer acme-token',
      source: 'project',
    });
    expect(credentialFor(config, publicOne)).toBeUndefined();
  });

  it('prefers _authToken over _auth for the same registry', () => {
    const config = resolveNpmConfig(
      [layer('p', { '//r.example.org/:_auth': 'YTpi' }), layer('u', { '//r.example.org/:_authToken': 't' })],
      {},
    );
    expect(credentialFor(config, 'https://r.example.org/x')?.authorization).toBe('Bearer t');
  });

  it('ignores unscoped credentials with a warning that does not show them', () => {
    const config = resolveNpmConfig([layer('/home/me/.npmrc', { _authToken: 'leaky-secret' })], {});
    expect(config.credentials.size).toBe(0);
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toContain('/home/me/.npmrc');
    expect(config.warnings.join()).not.toContain('leaky-secret');
  });

  it('warns, by name only, about a credential that refers to an unset variable', () => {
    const file = parseNpmrc(
      '//r.example/:_authToken=${NPM_TOKEN}\n//s.example/:_authToken=${SET}\n',
      { SET: 'v' },
      'p',
    );
    const config = resolveNpmConfig([file], {});
    expect(config.warnings).toEqual([
      'p: //r.example/:_authToken refers to ${NPM_TOKEN}, which is not set; it is sent as written',
    ]);
    expect(credentialFor(config, 'https://s.example/x')?.authorization).toBe('Bearer v');
  });

  it('takes proxies from .npmrc before the environment', () => {
    const env = { HTTPS_PROXY: 'http://env-https:1', HTTP_PROXY: 'http://env-http:1', NO_PROXY: 'a.example' };
    expect(resolveNpmConfig([], env).proxy).toEqual({
      httpProxy: 'http://env-http:1',
      httpsProxy: 'http://env-https:1',
      noProxy: 'a.example',
    });
    expect(
      resolveNpmConfig([layer('u', { 'https-proxy': 'http://rc-https:2', noproxy: 'b.example' })], env).proxy,
    ).toEqual({ httpProxy: 'http://env-http:1', httpsProxy: 'http://rc-https:2', noProxy: 'b.example' });
    expect(resolveNpmConfig([layer('u', { proxy: 'http://rc:3' })], {}).proxy).toEqual({
      httpProxy: 'http://rc:3',
      httpsProxy: 'http://rc:3',
      noProxy: undefined,
    });
  });
});

describe('loadNpmConfig', () => {
  let dir: { path: string; remove: () => void };
  let project: string;
  let home: string;
  beforeEach(() => {
    dir = tempDir('patchpilot-npmrc-');
    project = join(dir.path, 'project');
    home = join(dir.path, 'home');
    mkdirSync(join(project, 'packages/app'), { recursive: true });
    mkdirSync(home);
    writeFileSync(join(project, 'package.json'), '{}');
    writeFileSync(join(project, '.npmrc'), 'registry=https://project.example.org/\n');
    writeFileSync(
      join(home, '.npmrc'),
      'registry=https://user.example.org/\n@acme:registry=https://acme.example.org/\n//acme.example.org/:_authToken=${ACME_TOKEN}\n',
    );
  });
  afterEach(() => dir.remove());

  it('reads the project file (found up from cwd) over the user file', () => {
    const config = loadNpmConfig({
      cwd: join(project, 'packages/app'),
      env: { HOME: home, ACME_TOKEN: 'tok' },
    });
    expect(config.registry).toBe('https://project.example.org/');
    expect(config.sources).toEqual([join(project, '.npmrc'), join(home, '.npmrc')]);
    expect(registryFor(config, '@acme/x')).toBe('https://acme.example.org/');
    expect(credentialFor(config, 'https://acme.example.org/@acme%2fx')?.authorization).toBe('Bearer tok');
  });

  it('puts npm_config_* above both files and --registry above everything', () => {
    const env = { HOME: home, npm_config_registry: 'https://env.example.org/' };
    expect(loadNpmConfig({ cwd: project, env }).registry).toBe('https://env.example.org/');
    expect(loadNpmConfig({ cwd: project, env, registry: 'https://flag.example.org' }).registry).toBe(
      'https://flag.example.org/',
    );
  });

  it('reads the user file named by NPM_CONFIG_USERCONFIG instead of ~/.npmrc', () => {
    const other = join(dir.path, 'other.npmrc');
    writeFileSync(other, '@acme:registry=https://other.example.org/\n');
    const config = loadNpmConfig({ cwd: project, env: { HOME: home, NPM_CONFIG_USERCONFIG: other } });
    expect(registryFor(config, '@acme/x')).toBe('https://other.example.org/');
  });

  it('reads the global file when npm_config_globalconfig names it, below the user file', () => {
    const global = join(dir.path, 'global-npmrc');
    writeFileSync(global, 'registry=https://global.example.org/\n@glob:registry=https://glob.example.org/\n');
    const config = loadNpmConfig({ cwd: dir.path, env: { HOME: home, npm_config_globalconfig: global } });
    expect(config.registry).toBe('https://user.example.org/');
    expect(registryFor(config, '@glob/x')).toBe('https://glob.example.org/');
  });

  it('puts NPM_CONFIG_* (any case) above the project file and expands ${VAR?} in files', () => {
    writeFileSync(join(project, '.npmrc'), '@acme:registry=https://acme-project.example.org/${REGION?}\n');
    const config = loadNpmConfig({
      cwd: project,
      env: { HOME: home, NPM_CONFIG_REGISTRY: 'https://env.example.org/', 'Npm_Config_@acme:registry': '' },
    });
    expect(config.registry).toBe('https://env.example.org/');
    expect(registryFor(config, '@acme/x')).toBe('https://acme-project.example.org/');
  });

  it.skipIf(process.platform === 'win32' || !existsSync('/dev/zero'))(
    'skips a project .npmrc that is not a regular file (a link to /dev/zero) with a warning',
    () => {
      writeFileSync(join(project, '.npmrc'), '');
      const link = join(dir.path, 'linked');
      mkdirSync(link);
      writeFileSync(join(link, 'package.json'), '{}');
      symlinkSync('/dev/zero', join(link, '.npmrc'));
      const config = loadNpmConfig({ cwd: link, env: { HOME: home, ACME_TOKEN: 'tok' } });
      expect(config.registry).toBe('https://user.example.org/');
      expect(config.warnings).toEqual([`${join(link, '.npmrc')}: not a regular file; ignored`]);
    },
  );

  it('skips an .npmrc far larger than any real one with a warning', () => {
    writeFileSync(
      join(project, '.npmrc'),
      `registry=https://big.example.org/\n${'#'.repeat(2 * 1024 * 1024)}\n`,
    );
    const config = loadNpmConfig({ cwd: project, env: { HOME: home } });
    expect(config.registry).toBe('https://user.example.org/');
    expect(config.warnings[0]).toMatch(/\.npmrc: \d+ bytes, more than an npmrc holds; ignored$/);
  });

  it("reads a workspace root's .npmrc from inside one of its workspaces, as npm does", () => {
    const app = join(project, 'packages/app');
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ workspaces: ['packages/*', '!packages/skip'] }),
    );
    writeFileSync(join(app, 'package.json'), '{}');
    writeFileSync(join(app, '.npmrc'), 'registry=https://workspace.example.org/\n');
    const config = loadNpmConfig({ cwd: app, env: { HOME: home, ACME_TOKEN: 't' } });
    expect(config.registry).toBe('https://project.example.org/');
    expect(config.warnings).toEqual([
      `${join(app, '.npmrc')}: a workspace's own .npmrc is ignored, as npm ignores it`,
    ]);

    const skipped = join(project, 'packages/skip');
    mkdirSync(skipped);
    writeFileSync(join(skipped, 'package.json'), '{}');
    writeFileSync(join(skipped, '.npmrc'), 'registry=https://skip.example.org/\n');
    expect(loadNpmConfig({ cwd: skipped, env: { HOME: home } }).registry).toBe('https://skip.example.org/');

    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ workspaces: { packages: ['./{libs,packages}/*/'] } }),
    );
    expect(loadNpmConfig({ cwd: app, env: { HOME: home } }).registry).toBe('https://project.example.org/');
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ workspaces: { packages: ['apps/**', '{x'] } }),
    );
    expect(loadNpmConfig({ cwd: app, env: { HOME: home } }).registry).toBe('https://workspace.example.org/');
  });

  it('works with no file at all', () => {
    const config = loadNpmConfig({ cwd: dir.path, env: { HOME: join(dir.path, 'nowhere') } });
    expect(config.registry).toBe(defaultRegistry);
    expect(config.sources).toEqual([]);
  });
});
