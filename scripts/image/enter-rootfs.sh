#!/usr/bin/env bash
# run-container.sh's second half, PID 1 of a new mount and PID namespace: lays out the container's mounts on
# the image's file system, makes it the root with pivot_root and executes the image's argv as its user.
# Everything it needs comes from CONTAINER_* variables.
set -euo pipefail

root=$CONTAINER_ROOT
mapfile -d '' argv <"$CONTAINER_ARGV_FILE"
mapfile -t env_lines <"$CONTAINER_ENV_FILE"

# pivot_root needs the new root to be a mount point.
mount --bind "$root" "$root"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
# sysfs read-only, without the host's cgroup mounts: Cloud Run gives a container no cgroups of its own.
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
mount -t tmpfs -o nosuid,mode=1777,size=2g tmpfs "$root/tmp"
mount -t tmpfs -o nosuid,mode=0755,size=64k tmpfs "$root/dev"
for node in null zero full random urandom tty; do
  touch "$root/dev/$node"
  mount --bind "/dev/$node" "$root/dev/$node"
done
mkdir -p "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs -o nosuid,nodev,mode=1777,size=256m tmpfs "$root/dev/shm"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
# Name resolution as the host has it (the runtime's own files on Cloud Run).
for file in /etc/hosts /etc/resolv.conf; do
  [ -f "$file" ] && [ -f "$root$file" ] && mount --bind "$file" "$root$file"
done
for volume in $CONTAINER_VOLUMES; do
  IFS=: read -r source target mode <<<"$volume"
  mkdir -p "$root$target"
  mount --bind "$source" "$root$target"
  [ "${mode:-}" = ro ] && mount -o remount,bind,ro "$root$target"
done

cd "$root"
mkdir -p .old-root
pivot_root . .old-root
cd /
umount -l /.old-root
rmdir /.old-root

uid=${CONTAINER_USER%%:*}
gid=${CONTAINER_USER#*:}
[ "$gid" = "$CONTAINER_USER" ] && gid=$uid
# Root keeps Docker's default capability set; any other user keeps none.
if [ "$uid" = 0 ]; then
  # shellcheck disable=SC2054 # one option whose value is a comma-separated list
  drop=(--bounding-set=-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap,+net_bind_service,+net_raw,+sys_chroot,+mknod,+audit_write,+setfcap)
else
  drop=(--bounding-set=-all --inh-caps=-all)
fi
# shellcheck disable=SC2086,SC2016 # the wrap is a list of words; the inner script expands its own arguments
exec /usr/bin/env -i "${env_lines[@]}" /usr/bin/setpriv --reuid="$uid" --regid="$gid" --clear-groups "${drop[@]}" -- \
  /bin/sh -c 'cd "$0" && exec "$@"' "$CONTAINER_WORKDIR" $CONTAINER_WRAP "${argv[@]}"
