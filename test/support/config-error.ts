import { ConfigError, loadConfig } from '../../src/config/config';

/** The message of the ConfigError `env` causes; fails the test if it loads. */
export function configError(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}
