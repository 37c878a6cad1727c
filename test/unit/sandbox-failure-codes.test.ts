import { classifyRenderFailure, type ClassifiedFailure } from '../../src/domain/classify-render-failure';
import type { RawRenderFailure } from '../../src/domain/ports/scene-renderer';

// How the limits of the render sandbox show on a failed job: each with its own code, none retried.
function code(classified: ClassifiedFailure): string {
  if (classified.retryable) throw new Error(`expected a permanent failure, got retryable: ${classified.reason}`);
  return classified.error.code;
}

const raised = (exception: string, message: string): RawRenderFailure => ({ reason: 'scene_error', exception, message });
const crashed = (signal: string | null, exitCode: number | null = null): RawRenderFailure => ({ reason: 'worker_crashed', stage: 'job', exitCode, signal });

describe('sandbox limits as failure codes', () => {
  it('calls a fork or a thread refused at the process limit process_limit', () => {
    expect(code(classifyRenderFailure(raised('BlockingIOError', '[Errno 11] Resource temporarily unavailable'), ''))).toBe('process_limit');
    expect(code(classifyRenderFailure(raised('RuntimeError', "can't start new thread"), ''))).toBe('process_limit');
  });

  it('calls an allocation refused at the address-space limit memory_limit, numpy arrays included', () => {
    expect(code(classifyRenderFailure(raised('MemoryError', ''), ''))).toBe('memory_limit');
    expect(code(classifyRenderFailure(raised('_ArrayMemoryError', 'Unable to allocate 8.00 GiB'), ''))).toBe('memory_limit');
  });

  it('calls a socket refused by the seccomp filter network_unavailable, however the scene reached for it', () => {
    expect(code(classifyRenderFailure(raised('OSError', '[Errno 97] Address family not supported by protocol'), ''))).toBe('network_unavailable');
    expect(code(classifyRenderFailure(raised('URLError', '<urlopen error [Errno 97] Address family not supported by protocol>'), ''))).toBe('network_unavailable');
  });

  it('calls the file-size limit, a full /tmp and the directory quota disk_limit', () => {
    expect(code(classifyRenderFailure(crashed('SIGXFSZ'), ''))).toBe('disk_limit');
    expect(code(classifyRenderFailure(raised('OSError', '[Errno 28] No space left on device'), ''))).toBe('disk_limit');
    const log = '\n[sandbox] Disk quota exceeded: the render wrote 300 bytes (the limit is 200 bytes); stopped\n';
    expect(code(classifyRenderFailure(crashed(null, 1), log))).toBe('disk_limit');
  });

  it('calls the CPU-time limit cpu_limit, and a flood of output stopped by the supervisor output_limit', () => {
    expect(code(classifyRenderFailure(crashed('SIGXCPU'), ''))).toBe('cpu_limit');
    const log = '[sandbox] 99 bytes of output discarded\n[sandbox] Output limit exceeded: the scene printed more than 9 bytes; stopped\n';
    expect(code(classifyRenderFailure(crashed(null, 1), log))).toBe('output_limit');
  });

  it('keeps other errors that merely mention a limit scene errors', () => {
    expect(code(classifyRenderFailure(raised('ValueError', 'Resource temporarily unavailable, said the scene'), ''))).toBe('scene_error');
  });
});
