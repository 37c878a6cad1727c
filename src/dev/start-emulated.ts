import path from 'node:path';
import { APP_ROOT } from '../config/config';
import { startEmulatedStack } from './emulated-stack';

/**
 * `npm run start:emulated`: the Firestore, Cloud Storage and Cloud Tasks emulators, then the ingress (PORT, default
 * 8080) and the renderer (RENDERER_PORT, default 8081) as separate processes in gcp mode. Ctrl-C stops everything.
 */
async function main(): Promise<void> {
  // A developer tool, not the service: it reads its two ports straight from the environment.
  const port = Number(process.env.PORT ?? 8080);
  const rendererPort = Number(process.env.RENDERER_PORT ?? 8081);
  const stack = await startEmulatedStack({ port, rendererPort, dataDir: path.join(APP_ROOT, '.data', 'emulated') });
  process.stdout.write(
    [
      '',
      `ingress   ${stack.ingressUrl}   (POST /v1/renders with the header X-Api-Key: ${stack.apiKey})`,
      `renderer  ${stack.rendererUrl}   (Cloud Tasks calls ${stack.rendererUrl}/tasks)`,
      `firestore ${stack.emulators.firestoreHost}`,
      `storage   ${stack.emulators.gcsEndpoint}`,
      `tasks     ${stack.emulators.tasksHost}   (OIDC issuer ${stack.emulators.tasksIssuer})`,
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
