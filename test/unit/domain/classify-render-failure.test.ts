import { classifyRenderFailure, ranOutOfDiskUnexplained, type ClassifiedFailure } from '../../../src/domain/classify-render-failure';
import type { RawRenderFailure } from '../../../src/domain/ports/scene-renderer';

/** The error code of a permanent failure; fails the test if the failure was classified retryable. */
function permanentCode(classified: ClassifiedFailure): string {
  if (classified.retryable) throw new Error(`expected a permanent failure, got retryable: ${classified.reason}`);
  return classified.error.code;
}

const sceneError = (fields: Partial<Extract<RawRenderFailure, { reason: 'scene_error' }>> = {}): RawRenderFailure => ({
  reason: 'scene_error',
  message: 'something broke',
  ...fields,
});

const crash = (fields: Partial<Extract<RawRenderFailure, { reason: 'worker_crashed' }>>): RawRenderFailure => ({
  reason: 'worker_crashed',
  stage: 'job',
  exitCode: null,
  signal: null,
  ...fields,
});

describe('classifyRenderFailure', () => {
  describe('a scene that raised', () => {
    it('is a scene_error naming the exception, with the line and traceback', () => {
      const classified = classifyRenderFailure(
        sceneError({ exception: 'ZeroDivisionError', message: 'division by zero', line: 7, traceback: 'File "scene.py", line 7' }),
        '',
      );
      expect(classified).toEqual({
        retryable: false,
        error: {
          code: 'scene_error',
          message: 'ZeroDivisionError: division by zero',
          line: 7,
          traceback: 'File "scene.py", line 7',
        },
      });
    });

    it('leaves out line and traceback it does not have', () => {
      const classified = classifyRenderFailure(sceneError({ message: 'bare' }), '');
      expect(classified).toEqual({ retryable: false, error: { code: 'scene_error', message: 'bare' } });
    });

    it('calls a MemoryError memory_limit', () => {
      expect(permanentCode(classifyRenderFailure(sceneError({ exception: 'MemoryError', message: '' }), ''))).toBe('memory_limit');
    });

    it.each([
      ['the message', { message: "OSError: [Errno 28] No space left on device: '/tmp/x'" }, ''],
      ['the traceback', { traceback: 'OSError: Disk quota exceeded' }, ''],
      ['the log', {}, 'ffmpeg: File size limit exceeded'],
    ])('calls a full disk in %s disk_limit', (_where, fields, log) => {
      expect(permanentCode(classifyRenderFailure(sceneError(fields), log))).toBe('disk_limit');
    });

    it('says LaTeX is missing when latex cannot be found, and how to install it', () => {
      const classified = classifyRenderFailure(
        sceneError({ exception: 'FileNotFoundError', message: "[Errno 2] No such file or directory: 'latex'", line: 5 }),
        '',
      );
      expect(classified).toMatchObject({ retryable: false, error: { code: 'latex_unavailable', line: 5 } });
      expect(!classified.retryable && classified.error.message).toMatch(/npm run setup/);
    });

    it('says LaTeX is missing when dvisvgm is not found in the log', () => {
      expect(permanentCode(classifyRenderFailure(sceneError(), 'dvisvgm command not found'))).toBe(
        'latex_unavailable',
      );
    });

    it("names a LaTeX package the renderer lacks, from LaTeX's own words even where the log wrapped them", () => {
      const log = 'ERROR    LaTeX compilation error: LaTeX Error: File\n`esvect.sty\' not      tex_file_writing.py:314\n                    found.\n';
      const classified = classifyRenderFailure(sceneError({ exception: 'ValueError', message: 'latex error converting to dvi. See log output above', line: 4 }), log);
      expect(classified).toMatchObject({
        retryable: false,
        error: { code: 'latex_package_missing', line: 4, message: expect.stringMatching(/^the LaTeX package esvect \(esvect\.sty\) is not installed on this renderer, which has texlive-latex-base/) },
      });
    });

    it('says that xelatex is what is missing when a template needs it', () => {
      const classified = classifyRenderFailure(sceneError({ exception: 'FileNotFoundError', message: "[Errno 2] No such file or directory: 'xelatex'" }), '');
      expect(classified).toMatchObject({ retryable: false, error: { code: 'latex_unavailable', message: expect.stringContaining('no xelatex') } });
    });

    it('calls a LaTeX compile failure latex_error, quoting the message', () => {
      const classified = classifyRenderFailure(
        sceneError({ exception: 'ValueError', message: 'latex error converting to dvi. See log output above', line: 9 }),
        '',
      );
      expect(classified).toMatchObject({ retryable: false, error: { code: 'latex_error', line: 9 } });
      expect(!classified.retryable && classified.error.message).toContain('latex error converting to dvi');
    });
  });

  it('passes scene_not_found through', () => {
    expect(classifyRenderFailure({ reason: 'scene_not_found', message: "no Scene subclass named 'X'" }, '')).toEqual({
      retryable: false,
      error: { code: 'scene_not_found', message: "no Scene subclass named 'X'" },
    });
  });

  it('asks whether construct() does anything when there was no output', () => {
    const classified = classifyRenderFailure({ reason: 'no_output', message: 'nothing written' }, '');
    expect(classified).toMatchObject({ retryable: false, error: { code: 'no_output' } });
    expect(!classified.retryable && classified.error.message).toMatch(/construct\(\)/);
  });

  it('names the time limit of a timeout', () => {
    const classified = classifyRenderFailure({ reason: 'timeout', seconds: 42 }, '');
    expect(classified).toMatchObject({ retryable: false, error: { code: 'timeout' } });
    expect(!classified.retryable && classified.error.message).toContain('42 s');
  });

  it('records a cancellation as permanent', () => {
    expect(permanentCode(classifyRenderFailure({ reason: 'cancelled' }, ''))).toBe('cancelled');
  });

  it('records a protocol violation with its detail', () => {
    const classified = classifyRenderFailure({ reason: 'protocol_violation', detail: 'a protocol line was not JSON' }, '');
    expect(classified).toMatchObject({ retryable: false, error: { code: 'protocol_violation' } });
    expect(!classified.retryable && classified.error.message).toContain('a protocol line was not JSON');
  });

  it('passes output_invalid through and calls an oversized output output_limit', () => {
    expect(permanentCode(classifyRenderFailure({ reason: 'output_invalid', message: 'a symlink' }, ''))).toBe('output_invalid');
    const classified = classifyRenderFailure({ reason: 'output_too_large', bytes: 2048, limitBytes: 1024 }, '');
    expect(classified).toMatchObject({ retryable: false, error: { code: 'output_limit' } });
    expect(!classified.retryable && classified.error.message).toMatch(/2048.*1024/);
  });

  describe('a crashed worker', () => {
    it('is retryable when it crashed starting up, before any scene code ran', () => {
      const classified = classifyRenderFailure(crash({ stage: 'startup', exitCode: 1 }), '');
      expect(classified.retryable).toBe(true);
      expect(classified.retryable && classified.reason).toContain('exit 1');
    });

    it('calls a SIGKILL the sandbox explains (its memory watch, or the memory cgroup\'s OOM kills) memory_limit', () => {
      const log = '[sandbox] Memory limit exceeded: the kernel stopped the scene at the sandbox\'s memory limit\n';
      expect(permanentCode(classifyRenderFailure(crash({ signal: 'SIGKILL' }), log))).toBe('memory_limit');
    });

    it('retries a SIGKILL the sandbox cannot explain: it came from outside the scene (the host, an operator)', () => {
      const classified = classifyRenderFailure(crash({ signal: 'SIGKILL' }), '');
      expect(classified).toMatchObject({ retryable: true, reason: expect.stringContaining('killed from outside the sandbox') });
    });

    it('calls SIGXCPU cpu_limit and SIGXFSZ disk_limit', () => {
      expect(permanentCode(classifyRenderFailure(crash({ signal: 'SIGXCPU' }), ''))).toBe('cpu_limit');
      expect(permanentCode(classifyRenderFailure(crash({ signal: 'SIGXFSZ' }), ''))).toBe('disk_limit');
    });

    it('calls a crash after a full disk disk_limit, whatever the signal', () => {
      expect(permanentCode(classifyRenderFailure(crash({ signal: 'SIGKILL' }), 'write error: No space left on device'))).toBe(
        'disk_limit',
      );
    });

    it('reports any other crash as process_crashed with its exit status or signal', () => {
      const byStatus = classifyRenderFailure(crash({ exitCode: 139 }), '');
      expect(byStatus).toMatchObject({ retryable: false, error: { code: 'process_crashed' } });
      expect(!byStatus.retryable && byStatus.error.message).toContain('exit status 139');
      const bySignal = classifyRenderFailure(crash({ signal: 'SIGSEGV' }), '');
      expect(!bySignal.retryable && bySignal.error.message).toContain('signal SIGSEGV');
    });
  });

  describe('a full disk that is not the scene\'s doing', () => {
    it("tries a render again when the renderer's own disk filled up", () => {
      expect(classifyRenderFailure({ reason: 'host_disk_full', message: 'less than 64 MiB free' }, '')).toMatchObject({ retryable: true });
    });

    it('tells its own limits from a disk that ran out under it', () => {
      expect(ranOutOfDiskUnexplained("OSError: [Errno 28] No space left on device: '/job/media/x.mp4'")).toBe(true);
      expect(ranOutOfDiskUnexplained('[sandbox] Disk quota exceeded: the render wrote 9 bytes (the limit is 8 bytes); stopped\nNo space left on device')).toBe(false);
      expect(ranOutOfDiskUnexplained('File size limit exceeded')).toBe(false);
      expect(ranOutOfDiskUnexplained('ValueError: nothing about disks')).toBe(false);
    });
  });
});
