/* seccomp_probe: calls syscalls that moat's default seccomp profile denies,
 * with arguments the kernel itself rejects with a different errno, and
 * prints what came back, e.g.
 *
 *   unshare=EINVAL mount=ENOENT keyctl=EOPNOTSUPP ptrace=ESRCH bpf=EINVAL
 *
 * without a filter, and NAME=EPERM for each one a filter denies. So the
 * test sees from inside the container that the filter, not a missing
 * capability, said no. Built static by tests/integration/seccomp_test.sh
 * (gcc -static) and copied into the container's rootfs. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *errno_name(int e) {
  static char buf[32];
  switch (e) {
    case 0: return "OK";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINVAL: return "EINVAL";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case ENOSYS: return "ENOSYS";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    default:
      snprintf(buf, sizeof buf, "errno%d", e);
      return buf;
  }
}

static int result(long rc) { return rc < 0 ? errno : 0; }

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  /* 0x1 is no unshare flag: EINVAL once past the filter. */
  int unshare_e = result(syscall(SYS_unshare, 0x1L));
  /* The target is looked up before the capability check: ENOENT. */
  int mount_e = result(syscall(SYS_mount, "none", "/nonexistent-moat-probe", "tmpfs", 0L, NULL));
  /* No such keyctl operation: EOPNOTSUPP. */
  int keyctl_e = result(syscall(SYS_keyctl, 9999L, 0L, 0L, 0L, 0L));
  /* No such pid (above any pid_max): ESRCH. */
  int ptrace_e = result(syscall(SYS_ptrace, (long)PTRACE_ATTACH, 0x3fffffffL, 0L, 0L));
  /* No such bpf command: EINVAL. */
  int bpf_e = result(syscall(SYS_bpf, 9999L, NULL, 0L));
  printf("unshare=%s", errno_name(unshare_e));
  printf(" mount=%s", errno_name(mount_e));
  printf(" keyctl=%s", errno_name(keyctl_e));
  printf(" ptrace=%s", errno_name(ptrace_e));
  printf(" bpf=%s\n", errno_name(bpf_e));
  return 0;
}
