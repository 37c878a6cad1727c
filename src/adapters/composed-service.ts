import type { ApiDeps } from '../api/deps';
import type { RendererAppDeps } from '../renderer/app';

/** A composed service: what to serve (the public API, the renderer endpoint, or both) and its background work. */
export interface ComposedService {
  api?: ApiDeps;
  renderer?: RendererAppDeps;
  /** What must be done before the first request is served (e.g. the first API key of a keys-only service). */
  prepare?(): Promise<void>;
  start(): void;
  /** Stops taking work; renders in flight get `graceMs` to finish, then are handed back to the queue. */
  stop(params: { graceMs: number }): Promise<void>;
}
