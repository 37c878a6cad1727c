import type http from 'node:http';

/** Closes a test's HTTP server now, its keep-alive and hanging connections too (server.close alone waits for them). */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
