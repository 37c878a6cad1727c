"""The sandbox's syscall filter: a classic BPF program for seccomp, assembled here without libseccomp.

bubblewrap loads it (`--seccomp FD`) as the last step before it executes the worker, so it is in force before any
scene code runs, and no process in the sandbox can remove it. It denies, with an errno (so Python raises an
OSError the scene can see, rather than dying):

- sockets of any family but AF_UNIX (EAFNOSUPPORT): no TCP/UDP, raw, netlink or packet sockets, even on the
  sandbox's own loopback;
- new namespaces (clone with CLONE_NEW* flags, unshare, setns) and the mount API;
- ptrace and reading other processes' memory, bpf, perf_event_open, userfaultfd, io_uring, the kernel keyring,
  kernel modules, kexec, reboot, swap, quotas, file handles that bypass path permissions;
- clone3 with ENOSYS: its flags sit behind a pointer seccomp cannot read, and glibc falls back to clone;
- x32-ABI syscall numbers, and any other architecture (an int 0x80 call would use other numbers): killed.

Everything else is allowed: this is a deny list that narrows the kernel surface, on top of the namespaces.
"""

from __future__ import annotations

import errno
import platform
import struct

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000

RET_KILL_PROCESS = 0x80000000
RET_ERRNO = 0x00050000
RET_ALLOW = 0x7FFF0000

AF_UNIX = 1
# CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
CLONE_NEW_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000

# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6] (little-endian: low word first)
OFFSET_NR = 0
OFFSET_ARCH = 4
OFFSET_ARG0_LOW = 16

LD_W_ABS = 0x20
JMP_JEQ_K = 0x15
JMP_JGE_K = 0x35
JMP_JSET_K = 0x45
RET_K = 0x06

X86_64 = {
    "socket": 41,
    "socketpair": 53,
    "clone": 56,
    "clone3": 435,
}

DENIED_X86_64 = {
    "ptrace": 101,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "pidfd_getfd": 438,
    "kcmp": 312,
    "bpf": 321,
    "perf_event_open": 298,
    "userfaultfd": 323,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "keyctl": 250,
    "add_key": 248,
    "request_key": 249,
    "unshare": 272,
    "setns": 308,
    "mount": 165,
    "umount2": 166,
    "pivot_root": 155,
    "chroot": 161,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "mount_setattr": 442,
    "open_tree_attr": 467,
    "name_to_handle_at": 303,
    "open_by_handle_at": 304,
    "fanotify_init": 300,
    "kexec_load": 246,
    "kexec_file_load": 320,
    "init_module": 175,
    "finit_module": 313,
    "delete_module": 176,
    "reboot": 169,
    "swapon": 167,
    "swapoff": 168,
    "acct": 163,
    "quotactl": 179,
    "iopl": 172,
    "ioperm": 173,
    "syslog": 103,
    "uselib": 134,
    "vhangup": 153,
}


class _Program:
    """A tiny assembler: instructions whose jump targets are labels, resolved to BPF's relative offsets."""

    def __init__(self) -> None:
        self.code: list[tuple[int, str | int, str | int, int]] = []
        self.labels: dict[str, int] = {}

    def label(self, name: str) -> None:
        self.labels[name] = len(self.code)

    def load(self, offset: int) -> None:
        self.code.append((LD_W_ABS, 0, 0, offset))

    def jump(self, op: int, k: int, if_true: str | int = 0, if_false: str | int = 0) -> None:
        self.code.append((op, if_true, if_false, k))

    def ret(self, value: int) -> None:
        self.code.append((RET_K, 0, 0, value))

    def assemble(self) -> bytes:
        out = bytearray()
        for index, (op, jt, jf, k) in enumerate(self.code):
            out += struct.pack("<HBBI", op, self._offset(index, jt), self._offset(index, jf), k)
        return bytes(out)

    def _offset(self, index: int, target: str | int) -> int:
        if isinstance(target, int):
            return target
        offset = self.labels[target] - index - 1
        if not 0 <= offset <= 255:
            raise ValueError(f"jump to {target} out of range")
        return offset


def supported() -> bool:
    """Whether this machine's architecture has a filter here (Cloud Run runs x86-64)."""
    return platform.machine() in ("x86_64", "AMD64")


def build_filter() -> bytes:
    """The filter as bytes of `struct sock_filter`, ready for bubblewrap's `--seccomp`."""
    if not supported():
        raise RuntimeError(f"no seccomp filter for {platform.machine()}")
    p = _Program()
    p.load(OFFSET_ARCH)
    p.jump(JMP_JEQ_K, AUDIT_ARCH_X86_64, 0, "kill")
    p.load(OFFSET_NR)
    p.jump(JMP_JGE_K, X32_SYSCALL_BIT, "kill", 0)
    p.jump(JMP_JEQ_K, X86_64["socket"], "socket", 0)
    p.jump(JMP_JEQ_K, X86_64["socketpair"], "socket", 0)
    p.jump(JMP_JEQ_K, X86_64["clone"], "clone", 0)
    p.jump(JMP_JEQ_K, X86_64["clone3"], "enosys", 0)
    for number in sorted(set(DENIED_X86_64.values())):
        p.jump(JMP_JEQ_K, number, "eperm", 0)
    p.ret(RET_ALLOW)

    p.label("socket")
    p.load(OFFSET_ARG0_LOW)  # the address family: an int, so the low word is all the kernel reads
    p.jump(JMP_JEQ_K, AF_UNIX, "allow", "eafnosupport")
    p.label("clone")
    p.load(OFFSET_ARG0_LOW)  # clone's flags (x86-64 argument order); every CLONE_NEW* bit is in the low word
    p.jump(JMP_JSET_K, CLONE_NEW_NAMESPACES, "eperm", "allow")

    p.label("allow")
    p.ret(RET_ALLOW)
    p.label("eperm")
    p.ret(RET_ERRNO | errno.EPERM)
    p.label("enosys")
    p.ret(RET_ERRNO | errno.ENOSYS)
    p.label("eafnosupport")
    p.ret(RET_ERRNO | errno.EAFNOSUPPORT)
    p.label("kill")
    p.ret(RET_KILL_PROCESS)
    return p.assemble()
