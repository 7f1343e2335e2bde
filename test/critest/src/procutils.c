/* pgrep and ipcs for the critest images: Debian's busybox-static has neither applet, and
 * critest runs `sh -c "pgrep sleep || true"` (expects empty stdout AND stderr) and `ipcs -m`
 * (expects the host's shm id to show up with host IPC only).  Multi-call: dispatch on argv[0].
 *   pgrep PATTERN   pids whose /proc/PID/comm matches the extended regex (procps without -f)
 *   ipcs [-m|-q|-s] System V IPC from /proc/sysvipc, laid out like util-linux ipcs */
#include <ctype.h>
#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *base(const char *p) { const char *s = strrchr(p, '/'); return s ? s + 1 : p; }

static int pgrep(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: pgrep PATTERN\n"); return 2; }
    regex_t re;
    if (regcomp(&re, argv[1], REG_EXTENDED | REG_NOSUB) != 0) { fprintf(stderr, "pgrep: bad pattern\n"); return 2; }
    DIR *d = opendir("/proc");
    if (!d) { perror("pgrep: /proc"); return 3; }
    long self = (long)getpid();
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0])) continue;
        long pid = atol(e->d_name);
        if (pid == self) continue;
        char path[64], comm[64] = "";
        snprintf(path, sizeof path, "/proc/%ld/comm", pid);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        if (fgets(comm, sizeof comm, f)) comm[strcspn(comm, "\n")] = 0;
        fclose(f);
        if (regexec(&re, comm, 0, NULL, 0) == 0) { printf("%ld\n", pid); found = 1; }
    }
    closedir(d);
    return found ? 0 : 1;
}

/* user name for uid from /etc/passwd (no NSS in a static binary) */
static const char *owner(unsigned long uid, char *buf, size_t n) {
    FILE *f = fopen("/etc/passwd", "r");
    char line[512];
    snprintf(buf, n, "%lu", uid);
    if (!f) return buf;
    while (fgets(line, sizeof line, f)) {
        char *name = strtok(line, ":"); strtok(NULL, ":"); char *u = strtok(NULL, ":");
        if (name && u && strtoul(u, NULL, 10) == uid) { snprintf(buf, n, "%s", name); break; }
    }
    fclose(f);
    return buf;
}

static void table(const char *what) {
    char path[64], line[1024], own[64];
    snprintf(path, sizeof path, "/proc/sysvipc/%s", what);
    FILE *f = fopen(path, "r");
    if (!strcmp(what, "shm")) {
        printf("\n------ Shared Memory Segments --------\n%-10s %-10s %-10s %-10s %-10s %-10s %-12s\n",
               "key", "shmid", "owner", "perms", "bytes", "nattch", "status");
    } else if (!strcmp(what, "sem")) {
        printf("\n------ Semaphore Arrays --------\n%-10s %-10s %-10s %-10s %-10s\n", "key", "semid", "owner", "perms", "nsems");
    } else {
        printf("\n------ Message Queues --------\n%-10s %-10s %-10s %-10s %-12s %-12s\n", "key", "msqid", "owner", "perms", "used-bytes", "messages");
    }
    if (!f) return;
    if (!fgets(line, sizeof line, f)) { fclose(f); return; } /* header */
    while (fgets(line, sizeof line, f)) {
        long key; long id; char perms[16]; unsigned long a, b, c, d, e, g, uid;
        if (!strcmp(what, "shm")) {
            /* key shmid perms size cpid lpid nattch uid ... */
            if (sscanf(line, "%ld %ld %15s %lu %lu %lu %lu %lu", &key, &id, perms, &a, &b, &c, &d, &uid) != 8) continue;
            printf("0x%08x %-10ld %-10s %-10s %-10lu %-10lu\n", (unsigned)key, id, owner(uid, own, sizeof own), perms, a, d);
        } else if (!strcmp(what, "sem")) {
            /* key semid perms nsems uid ... */
            if (sscanf(line, "%ld %ld %15s %lu %lu", &key, &id, perms, &a, &uid) != 5) continue;
            printf("0x%08x %-10ld %-10s %-10s %-10lu\n", (unsigned)key, id, owner(uid, own, sizeof own), perms, a);
        } else {
            /* key msqid perms cbytes qnum lspid lrpid uid ... */
            if (sscanf(line, "%ld %ld %15s %lu %lu %lu %lu %lu", &key, &id, perms, &a, &b, &e, &g, &uid) != 8) continue;
            printf("0x%08x %-10ld %-10s %-10s %-12lu %-12lu\n", (unsigned)key, id, owner(uid, own, sizeof own), perms, a, b);
        }
    }
    fclose(f);
}

static int ipcs(int argc, char **argv) {
    int m = 0, q = 0, s = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-m")) m = 1;
        else if (!strcmp(argv[i], "-q")) q = 1;
        else if (!strcmp(argv[i], "-s")) s = 1;
        else if (!strcmp(argv[i], "-a")) m = q = s = 1;
        else { fprintf(stderr, "usage: ipcs [-m] [-q] [-s] [-a]\n"); return 1; }
    }
    if (!m && !q && !s) m = q = s = 1;
    if (q) table("msg");
    if (m) table("shm");
    if (s) table("sem");
    printf("\n");
    return 0;
}

int main(int argc, char **argv) {
    const char *me = base(argv[0]);
    if (!strcmp(me, "pgrep")) return pgrep(argc, argv);
    if (!strcmp(me, "ipcs")) return ipcs(argc, argv);
    if (argc > 1 && (!strcmp(argv[1], "pgrep") || !strcmp(argv[1], "ipcs"))) return main(argc - 1, argv + 1);
    fprintf(stderr, "procutils: run as pgrep or ipcs\n");
    return 1;
}
