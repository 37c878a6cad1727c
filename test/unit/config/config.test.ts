import path from 'node:path';
import { APP_ROOT, loadConfig } from '../../../src/config/config';
import { configError } from '../../support/config-error';

describe('loadConfig', () => {
  // Every case passes its own environment, so the process's real one is never read or changed.
  it('fills the local-mode settings with their defaults from an empty environment', () => {
    expect(loadConfig({})).toMatchObject({
      MODE: 'local',
      HOST: '127.0.0.1',
      PORT: 8080,
      DATA_DIR: path.resolve('./.data'),
      LOG_LEVEL: 'info',
      PYTHON: path.join(APP_ROOT, '.venv', 'bin', 'python'),
      MAX_CODE_BYTES: 256 * 1024,
      DEFAULT_TIMEOUT_SECONDS: 120,
      MAX_TIMEOUT_SECONDS: 600,
      RENDER_CONCURRENCY: 1,
      TASK_MAX_ATTEMPTS: 5,
      TASK_MIN_BACKOFF_MS: 1000,
      TASK_MAX_BACKOFF_MS: 60_000,
      MAX_LOG_BYTES: 1024 * 1024,
      MAX_OUTPUT_BYTES: 2 * 1024 * 1024 * 1024,
      RENDER_SEED: 0,
      WARM_WORKER: true,
    });
  });

  it('points APP_ROOT at the repository', () => {
    expect(APP_ROOT).toBe(path.resolve(__dirname, '../../..'));
  });

  it('parses numbers from strings and resolves DATA_DIR to an absolute path', () => {
    const config = loadConfig({ PORT: '9090', RENDER_CONCURRENCY: '4', DATA_DIR: 'some/dir' });
    expect(config.PORT).toBe(9090);
    expect(config.RENDER_CONCURRENCY).toBe(4);
    expect(config.DATA_DIR).toBe(path.resolve('some/dir'));
  });

  it('ignores variables it does not know', () => {
    expect(() => loadConfig({ HOME: '/root', SOMETHING_ELSE: 'x' })).not.toThrow();
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['RENDER_CONCURRENCY', '0'],
    ['RENDER_CONCURRENCY', '1.5'],
    ['LOG_LEVEL', 'verbose'],
    ['MODE', 'google'],
    ['MAX_LOG_BYTES', '10'],
  ])('names %s when its value %p is bad', (name, value) => {
    expect(configError({ [name]: value })).toMatch(new RegExp(`^\\s+${name}: `, 'm'));
  });

  it('names every bad variable at once', () => {
    const message = configError({ PORT: 'x', MODE: 'cloud', WARM_WORKER: 'maybe' });
    expect(message).toMatch(/PORT: /);
    expect(message).toMatch(/MODE: /);
    expect(message).toMatch(/WARM_WORKER: /);
  });

  it('refuses a default timeout longer than the maximum, naming DEFAULT_TIMEOUT_SECONDS', () => {
    expect(configError({ DEFAULT_TIMEOUT_SECONDS: '700', MAX_TIMEOUT_SECONDS: '600' })).toMatch(
      /DEFAULT_TIMEOUT_SECONDS: DEFAULT_TIMEOUT_SECONDS must not exceed MAX_TIMEOUT_SECONDS/,
    );
  });

  it.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('reads the boolean %p as %p', (value, expected) => {
    expect(loadConfig({ WARM_WORKER: value }).WARM_WORKER).toBe(expected);
  });

  it.each(['yes', 'no', 'TRUE', 'on'])('refuses the boolean %p instead of reading it as false', (value) => {
    expect(configError({ WARM_WORKER: value })).toMatch(/WARM_WORKER: /);
  });

  it('reads an empty variable as unset, so the default applies', () => {
    expect(loadConfig({ PORT: '', WARM_WORKER: '', RENDER_SEED: '' })).toMatchObject({ PORT: 8080, WARM_WORKER: true, RENDER_SEED: 0 });
  });

  it('refuses AUTH_MODE none anywhere but local mode on loopback', () => {
    expect(configError({ AUTH_MODE: 'none', HOST: '0.0.0.0' })).toMatch(/AUTH_MODE: /);
    expect(loadConfig({ HOST: '0.0.0.0', AUTH_MODE: 'verify', AUTH_AUDIENCE: 'https://x' }).AUTH_MODE).toBe('verify');
  });

  it('requires API keys by default in local mode on an address others can reach, and takes a key given at start', () => {
    expect(loadConfig({ HOST: '0.0.0.0' }).AUTH_MODE).toBe('keys');
    expect(loadConfig({}).AUTH_MODE).toBe('none');
    expect(configError({ HOST: '0.0.0.0', API_KEYS: 'false' })).toMatch(/API_KEYS: AUTH_MODE keys accepts only API keys/);
    const key = `mrk_${'a'.repeat(16)}_${'B'.repeat(32)}`;
    expect(loadConfig({ HOST: '0.0.0.0', INITIAL_API_KEY: key }).INITIAL_API_KEY).toBe(key);
    expect(configError({ INITIAL_API_KEY: 'secret' })).toMatch(/INITIAL_API_KEY: must be an API key/);
  });

  it("refuses AUTH_MODE iam outside gcp mode, where no front end has checked the token's signature", () => {
    expect(configError({ HOST: '0.0.0.0', AUTH_MODE: 'iam' })).toMatch(/AUTH_MODE: iam trusts tokens Cloud Run has checked/);
    expect(configError({ AUTH_MODE: 'iam' })).toMatch(/AUTH_MODE: /);
  });

  it('reads the batch sources each principal may name, none by default, and refuses malformed ones', () => {
    expect(loadConfig({}).BATCH_SOURCES).toEqual({});
    expect(loadConfig({ BATCH_SOURCES: '{"a@x.com": ["gs://bucket/nightly/"]}' }).BATCH_SOURCES).toEqual({ 'a@x.com': ['gs://bucket/nightly/'] });
    expect(configError({ BATCH_SOURCES: 'gs://b/' })).toMatch(/BATCH_SOURCES: must be JSON/);
    expect(configError({ BATCH_SOURCES: '{"a@x.com": ["b/nightly"]}' })).toMatch(/BATCH_SOURCES/);
  });

  it('requires the Google settings of the role in gcp mode', () => {
    const message = configError({ MODE: 'gcp', ROLE: 'ingress', HOST: '0.0.0.0' });
    for (const key of ['GOOGLE_CLOUD_PROJECT', 'BUCKET', 'TASKS_INVOKER_SA', 'TASKS_LOCATION', 'RENDERER_URL']) {
      expect(message).toContain(`${key}: `);
    }
    expect(configError({ MODE: 'gcp', HOST: '0.0.0.0' })).toMatch(/ROLE: /);
  });
});
