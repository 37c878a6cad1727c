/**
 * What setting would lift a refusal the probe met, from the words of the refusal (bubblewrap's, the kernel's
 * errno, the supervisor's): said in the start-up log and in `/readyz`, so an operator knows what to change.
 */
export function hostRefusalHint(refusal: string): string {
  const hints: string[] = [];
  if (/user namespace|CLONE_NEWUSER|max_user_namespaces|unshare|No permissions to creat/i.test(refusal)) {
    hints.push(
      'the host refuses new user namespaces: allow them (sysctl user.max_user_namespaces > 0, kernel.unprivileged_userns_clone=1; ' +
        "Docker: a seccomp profile that allows unshare and clone's namespace flags; Cloud Run: the second-generation execution environment), " +
        'or let the landlock profile run (SANDBOX=auto)',
    );
  }
  if (/pivot_root|mount.*(EPERM|denied)|Operation not permitted.*mount/i.test(refusal)) {
    hints.push('the host refuses mounts in a new mount namespace (an AppArmor or seccomp profile of the container runtime)');
  }
  if (/uid_map|gid_map|setgroups/i.test(refusal)) {
    hints.push('the uid map of the new user namespace could not be written: run the renderer as root in its container, or as a user bubblewrap may map');
  }
  if (/landlock/i.test(refusal) && /ENOSYS|EOPNOTSUPP|not supported|Function not implemented|Operation not supported/i.test(refusal)) {
    hints.push('Landlock is not available: it needs Linux 5.13 or later with landlock among the LSMs (lsm= on the kernel command line)');
  }
  if (/bubblewrap \(bwrap\) is not installed/.test(refusal)) hints.push('install bubblewrap (the image has it)');
  return hints.length ? hints.join('; ') : 'see the refusals above; SANDBOX_MINIMUM may be lowered for local development only';
}
