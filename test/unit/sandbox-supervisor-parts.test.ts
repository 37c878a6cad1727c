import { spawnSync } from 'node:child_process';
import path from 'node:path';

// Parts of the supervisor (python/manim_worker/sandbox/) that need no sandbox to test: the bounded relay of the
// scene's output and the measure of its directory. The whole supervisor runs in the integration tests.
const PYTHON_PATH = path.join(__dirname, '..', '..', 'python');

function runPython(script: string): Record<string, unknown> {
  const run = spawnSync('python3', ['-I', '-S', '-B', '-c', `import sys; sys.path.insert(0, sys.argv[1])\n${script}`, PYTHON_PATH], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

const RELAY = String.raw`
import json, os
from manim_worker.sandbox.output_relay import OutputRelay

def relay_through(chunks, keep, limit):
    forwarded_r, forwarded_w = os.pipe()
    notes_r, notes_w = os.pipe()
    relay = OutputRelay(keep_bytes=keep, max_bytes=limit, notes_fd=notes_w)
    sandbox_out = relay.pipe_to(forwarded_w)
    for chunk in chunks:
        os.write(sandbox_out, chunk)
        for fd in relay.open_fds():
            relay.read(fd)
    os.close(sandbox_out)
    while relay.open_fds():
        for fd in relay.open_fds():
            relay.read(fd)
    relay.finish()
    os.close(forwarded_w); os.close(notes_w)
    return {"forwarded": os.read(forwarded_r, 100000).decode(), "notes": os.read(notes_r, 100000).decode(),
            "exceeded": relay.exceeded}

print(json.dumps({
    "small": relay_through([b"hello ", b"world"], keep=100, limit=1000),
    "flood": relay_through([b"HEAD------", b"middle" * 20, b"-----FINAL"], keep=20, limit=1000),
    "over": relay_through([b"x" * 600, b"y" * 600], keep=20, limit=1000),
}))
`;

const DISK = String.raw`
import json, os, shutil, tempfile
from manim_worker.sandbox.disk_usage import disk_usage
root = tempfile.mkdtemp()
os.makedirs(os.path.join(root, "a", "b"))
with open(os.path.join(root, "a", "b", "data"), "wb") as f:
    f.write(b"\1" * (1 << 20))
os.link(os.path.join(root, "a", "b", "data"), os.path.join(root, "hardlink"))
with open(os.path.join(root, "sparse"), "wb") as f:
    f.truncate(1 << 30)
os.symlink("/usr", os.path.join(root, "link-to-usr"))
for i in range(50):
    open(os.path.join(root, f"empty-{i}"), "w").close()
used, entries = disk_usage(root, 1000)
capped_used, capped_entries = disk_usage(root, 10)
shutil.rmtree(root)
print(json.dumps({"used": used, "entries": entries, "cappedEntries": capped_entries}))
`;

describe('the supervisor output relay', () => {
  let results: Record<string, { forwarded: string; notes: string; exceeded: boolean }>;
  beforeAll(() => {
    results = runPython(RELAY) as typeof results;
  });

  it('forwards output under its budget whole, without a note', () => {
    expect(results.small).toEqual({ forwarded: 'hello world', notes: '', exceeded: false });
  });

  it('forwards the first half of its budget, then the last half after a note of what it dropped', () => {
    expect(results.flood?.forwarded).toBe('HEAD------');
    expect(results.flood?.notes).toBe('\n[sandbox] 120 bytes of output discarded: the log keeps the first 10 and the last 10 bytes\n-----FINAL');
    expect(results.flood?.exceeded).toBe(false);
  });

  it('flags output past its ceiling, so that the supervisor stops the scene', () => {
    expect(results.over?.exceeded).toBe(true);
  });
});

describe('the supervisor disk measure', () => {
  it('counts allocated blocks (not sparse sizes), each hard-linked file once, without following links', () => {
    const { used, entries, cappedEntries } = runPython(DISK) as { used: number; entries: number; cappedEntries: number };
    expect(used).toBeGreaterThanOrEqual(1 << 20);
    expect(used).toBeLessThan(2 << 20);
    expect(entries).toBe(2 + 1 + 1 + 1 + 1 + 50);
    expect(cappedEntries).toBe(11);
  });
});

// A kernel without the per-namespace limit of nested user namespaces (gVisor has no user.max_user_namespaces):
// the limit's file is made to be missing, as there.
const NESTED = String.raw`
import json, os, sys
from manim_worker.sandbox import user_namespace
user_namespace.MAX_USER_NAMESPACES = "/proc/sys/user/no-such-limit"
out = {"canLimit": user_namespace.can_limit_nested()}
fd, limited = user_namespace.create_user_namespace(64999, 64999, seccomp_denies_nested=True)
os.close(fd)
out["withSeccomp"] = limited
try:
    user_namespace.create_user_namespace(64999, 64999, seccomp_denies_nested=False)
    out["withoutSeccomp"] = "made"
except OSError as exc:
    out["withoutSeccomp"] = str(exc)
print(json.dumps(out))
`;

(process.getuid?.() === 0 ? describe : describe.skip)('the user namespace where nested ones cannot be limited (as root)', () => {
  it('is made only when the seccomp filter refuses nested namespaces in its place, and says so', () => {
    const out = runPython(NESTED) as { canLimit: boolean; withSeccomp: boolean; withoutSeccomp: string };
    expect(out.canLimit).toBe(false);
    expect(out.withSeccomp).toBe(false); // made, without the limit: the filter holds instead
    expect(out.withoutSeccomp).toMatch(/no user.max_user_namespaces, and no seccomp filter/);
  });
});
