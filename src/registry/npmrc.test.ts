// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the .npmrc syntax under test
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/cli.js';
import { PatchPilotError } from '../core/errors.js';
import {
  credentialFor,
  defaultRegistry,
  environmentLayer,
  expandEnv,
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

  it.each(['..', '.', 'a/b', '@scope/..', '', '@scope', 'has space'])('refuses %j', (name) => {
    expect(packumentUrl(defaultRegistry, name)).toBeUndefined();
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

  it('works with no file at all', () => {
    const config = loadNpmConfig({ cwd: dir.path, env: { HOME: join(dir.path, 'nowhere') } });
    expect(config.registry).toBe(defaultRegistry);
    expect(config.sources).toEqual([]);
  });
});
