/* Installed setuid root in a test image: reports what a setuid-root program (such as sudo) can do under
 * the container's securityContext. Prints one line per call: `<call> ok` or `<call> <errno name>`. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void report(const char *call, int result) {
    printf("%s %s\n", call, result == 0 ? "ok" : strerrorname_np(errno));
}

int main(void) {
    uid_t ruid, euid, suid;
    getresuid(&ruid, &euid, &suid);
    printf("euid %d\n", (int)euid);
    gid_t none[1] = {0};
    report("setgroups", setgroups(1, none));
    report("setresgid", setresgid(0, 0, 0));
    report("setresuid", setresuid(0, 0, 0));
    return 0;
}
