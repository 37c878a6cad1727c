import { loadConfig } from '../../src/config/config';
import { DEFAULT_SANDBOX_MINIMUM } from '../../src/renderer/sandbox/sandbox-layers';
import { configError } from '../support/config-error';

const gcpRenderer = {
  MODE: 'gcp',
  ROLE: 'renderer',
  HOST: '0.0.0.0',
  GOOGLE_CLOUD_PROJECT: 'p',
  BUCKET: 'b',
  TASKS_INVOKER_SA: 'tasks@p.iam.gserviceaccount.com',
  RENDERER_AUDIENCE: 'https://renderer.example',
};

describe('the sandbox settings', () => {
  it('sandboxes every render by default with the strongest profile the host allows, requiring every layer but the cgroups', () => {
    expect(loadConfig({})).toMatchObject({
      SANDBOX: 'auto',
      SANDBOX_MINIMUM: [...DEFAULT_SANDBOX_MINIMUM],
      SANDBOX_UID: 64000,
      SANDBOX_MAX_PROCESSES: 64,
      SANDBOX_MAX_ADDRESS_SPACE_BYTES: 6 * 1024 ** 3,
    });
  });

  it('reads the minimum as a list of known layers, and names the setting of an unknown one', () => {
    expect(loadConfig({ SANDBOX_MINIMUM: 'env, namespaces,pids_cgroup' }).SANDBOX_MINIMUM).toEqual([['env'], ['namespaces'], ['pids_cgroup']]);
    expect(loadConfig({ SANDBOX_MINIMUM: 'env,namespaces|landlock' }).SANDBOX_MINIMUM).toEqual([['env'], ['namespaces', 'landlock']]);
    expect(configError({ SANDBOX_MINIMUM: 'env,firewall' })).toMatch(/SANDBOX_MINIMUM/);
    expect(configError({ SANDBOX_MINIMUM: 'env,namespaces|moat' })).toMatch(/SANDBOX_MINIMUM/);
  });

  it('refuses root as the sandbox uid', () => {
    expect(configError({ SANDBOX_UID: '0' })).toMatch(/SANDBOX_UID/);
  });

  it('lets local mode turn the sandbox off or lower its minimum', () => {
    expect(loadConfig({ SANDBOX: 'none' }).SANDBOX).toBe('none');
    expect(loadConfig({ SANDBOX_MINIMUM: 'env' }).SANDBOX_MINIMUM).toEqual([['env']]);
  });

  it('refuses a weakened sandbox in gcp mode', () => {
    expect(configError({ ...gcpRenderer, SANDBOX: 'none' })).toMatch(/SANDBOX: gcp mode renders only in the sandbox/);
    expect(configError({ ...gcpRenderer, SANDBOX_MINIMUM: 'env,namespaces' })).toMatch(/SANDBOX_MINIMUM: gcp mode requires the sandbox layers uid, seccomp, rlimits, disk_quota/);
    expect(configError({ ...gcpRenderer, SANDBOX_MINIMUM: 'env,namespaces|landlock|seccomp,uid,seccomp,rlimits,disk_quota' })).toMatch(/requires the sandbox layers namespaces\|landlock/);
  });

  it('lets gcp mode ask for one profile, or a stricter minimum', () => {
    const gcp = { ...gcpRenderer, INGRESS_URL: 'https://api.example', TASKS_LOCATION: 'l', RENDERER_URL: 'https://renderer.example' };
    expect(loadConfig({ ...gcp, SANDBOX: 'landlock' }).SANDBOX).toBe('landlock');
    expect(loadConfig({ ...gcp, SANDBOX_MINIMUM: 'env,namespaces,uid,seccomp,rlimits,disk_quota,memory_cgroup' }).SANDBOX_MINIMUM).toHaveLength(7);
  });
});
