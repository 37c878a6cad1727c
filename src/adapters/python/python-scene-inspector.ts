import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import readline from 'node:readline';
import { z } from 'zod';
import { UnavailableError, ValidationError } from '../../domain/errors';
import type { SceneInspector } from '../../domain/ports/scene-inspector';

const responseSchema = z.union([
  z.object({ id: z.number(), scenes: z.array(z.string()) }),
  z.object({
    id: z.number().nullable(),
    error: z.object({ code: z.string(), message: z.string(), line: z.number().int().optional() }),
  }),
]);

interface Pending {
  resolve: (scenes: string[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Lists scenes with Python's own parser (exact syntax errors and line numbers) in one long-lived process
 * (`python/manim_worker/inspect_scenes.py`), so a submit costs a pipe round trip, not a Python start.
 * The process is restarted if it dies; requests in flight then fail as unavailable.
 */
export class PythonSceneInspector implements SceneInspector {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly params: { python: string; pythonPath: string; timeoutMs?: number; lint?: boolean }) {}

  /** Starts the Python process now, so that the first submit does not wait for it. */
  warm(): void {
    this.ensureChild();
  }

  async listScenes({ code }: { code: string }): Promise<string[]> {
    const child = this.ensureChild();
    const id = this.nextId++;
    return new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new UnavailableError('the scene inspector did not answer in time'));
        this.restart();
      }, this.params.timeoutMs ?? 10_000);
      this.pending.set(id, { resolve, reject, timer });
      child.stdin.write(`${JSON.stringify({ id, code, lint: this.params.lint ?? false })}\n`);
    });
  }

  close(): void {
    const child = this.child;
    this.child = undefined;
    child?.kill('SIGKILL');
  }

  private ensureChild(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn(this.params.python, ['-m', 'manim_worker.inspect_scenes'], {
      env: { PYTHONPATH: this.params.pythonPath, PYTHONDONTWRITEBYTECODE: '1', PATH: '/usr/bin:/bin' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.on('error', () => undefined); // a dead child is handled by 'exit'
    child.stderr.resume();
    readline.createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    child.on('exit', () => {
      if (this.child === child) this.child = undefined;
      this.failAll(new UnavailableError('the scene inspector stopped; try again'));
    });
    child.on('error', (error) => {
      if (this.child === child) this.child = undefined;
      this.failAll(new UnavailableError(`the scene inspector could not start: ${error.message}`));
    });
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    this.child = child;
    return child;
  }

  private restart(): void {
    this.close();
  }

  private onLine(line: string): void {
    const parsed = responseSchema.safeParse(safeJson(line));
    if (!parsed.success || parsed.data.id === null) return;
    const pending = this.pending.get(parsed.data.id);
    if (!pending) return;
    this.pending.delete(parsed.data.id);
    clearTimeout(pending.timer);
    if ('scenes' in parsed.data) {
      pending.resolve(parsed.data.scenes);
    } else {
      const { code, message, line: lineNumber } = parsed.data.error;
      const where = lineNumber ? ` (line ${lineNumber})` : '';
      const text = code === 'syntax_error' ? `the code does not parse: ${message}${where}` : message;
      pending.reject(new ValidationError(code, text, lineNumber ? { line: lineNumber } : undefined));
    }
  }

  private failAll(error: Error): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
  }
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
