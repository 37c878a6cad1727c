import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

// The seccomp filter alone, loaded into a plain Python process (no bubblewrap, no namespaces), so that what it
// denies and what it lets through is seen without the other layers in the way.
const PYTHON_PATH = path.join(__dirname, '..', '..', 'python');

const SCRIPT = String.raw`
import ctypes, errno, json, os, socket, subprocess, sys, threading
sys.path.insert(0, sys.argv[1])
from manim_worker.sandbox.seccomp_filter import build_filter

program = build_filter()
class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
buffer = ctypes.create_string_buffer(program, len(program))
fprog = SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
libc = ctypes.CDLL(None, use_errno=True)
assert libc.prctl(38, 1, 0, 0, 0) == 0  # PR_SET_NO_NEW_PRIVS
assert libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) == 0, ctypes.get_errno()  # PR_SET_SECCOMP, FILTER

def sock(family, kind=socket.SOCK_STREAM):
    try:
        socket.socket(family, kind).close()
        return "allowed"
    except OSError as exc:
        return errno.errorcode[exc.errno]

def call(number, *args):
    ret = libc.syscall(number, *[ctypes.c_long(a) for a in args])
    if ret == 0 and number == 56:
        os._exit(0)
    return "allowed" if ret >= 0 else errno.errorcode[ctypes.get_errno()]

results = {
    "inet": sock(socket.AF_INET), "inet6": sock(socket.AF_INET6), "netlink": sock(socket.AF_NETLINK, socket.SOCK_RAW),
    "unix": sock(socket.AF_UNIX), "socketpair": "allowed" if socket.socketpair() else "denied",
    "unshare": call(272, 0x10000000), "setns": call(308, 0, 0), "clone_newnet": call(56, 0x40000000 | 17, 0, 0, 0, 0),
    "clone3": call(435, 0, 0), "ptrace": call(101, 0, 0, 0, 0), "bpf": call(321, 0, 0, 0), "io_uring_setup": call(425, 8, 0),
    "keyctl": call(250, 0, 0, 0, 0, 0), "add_key": call(248, 0, 0, 0, 0, 0), "mount": call(165, 0, 0, 0, 0, 0),
    "umount2": call(166, 0, 0), "pivot_root": call(155, 0, 0), "fsopen": call(430, 0, 0), "open_by_handle_at": call(304, 0, 0, 0),
}
thread_ran = []
t = threading.Thread(target=lambda: thread_ran.append(True)); t.start(); t.join()
results["thread"] = "allowed" if thread_ran else "denied"
results["subprocess"] = "allowed" if subprocess.run(["true"]).returncode == 0 else "denied"
pid = os.fork()
if pid == 0:
    os._exit(7)
results["fork"] = "allowed" if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 7 else "denied"
pid = os.fork()
if pid == 0:
    libc.syscall(ctypes.c_long(0x40000000 | 39))  # getpid through the x32 ABI
    os._exit(0)
status = os.waitpid(pid, 0)[1]
results["x32"] = "killed" if os.WIFSIGNALED(status) and os.WTERMSIG(status) == 31 else "allowed"  # SIGSYS
print(json.dumps(results))
`;

const describeOnX86 = os.arch() === 'x64' ? describe : describe.skip;

describeOnX86('the sandbox seccomp filter', () => {
  let results: Record<string, string>;

  beforeAll(() => {
    const run = spawnSync('python3', ['-I', '-S', '-B', '-c', SCRIPT, PYTHON_PATH], { encoding: 'utf8', timeout: 30_000 });
    if (run.status !== 0) throw new Error(`the filter script failed: ${run.stderr}`);
    results = JSON.parse(run.stdout) as Record<string, string>;
  });

  it('refuses sockets of every family but AF_UNIX with EAFNOSUPPORT', () => {
    expect(results).toMatchObject({ inet: 'EAFNOSUPPORT', inet6: 'EAFNOSUPPORT', netlink: 'EAFNOSUPPORT', unix: 'allowed', socketpair: 'allowed' });
  });

  it('refuses new namespaces, the mount API, ptrace, bpf, io_uring and the keyring with EPERM', () => {
    for (const name of ['unshare', 'setns', 'clone_newnet', 'ptrace', 'bpf', 'io_uring_setup', 'keyctl', 'add_key', 'mount', 'umount2', 'pivot_root', 'fsopen', 'open_by_handle_at']) {
      expect([name, results[name]]).toEqual([name, 'EPERM']);
    }
  });

  it('kills a process that uses the x32 syscall numbers, which would bypass the x86-64 table', () => {
    expect(results.x32).toBe('killed');
  });

  it('answers clone3 with ENOSYS, so that threads and processes still start through clone', () => {
    expect(results).toMatchObject({ clone3: 'ENOSYS', thread: 'allowed', subprocess: 'allowed', fork: 'allowed' });
  });
});
