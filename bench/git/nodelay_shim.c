/* Diagnostic only (bench/git/run.sh, profiling step): an LD_PRELOAD library that sets TCP_NODELAY
 * on every socket the process accepts, to show from outside, without touching the server, how
 * much of a request's time is Nagle's algorithm holding a response's last small segment until
 * the client's delayed ACK (about 40 ms on Linux).
 *
 *   cc -shared -fPIC -O2 -o nodelay_shim.so nodelay_shim.c -ldl
 *   LD_PRELOAD=$PWD/nodelay_shim.so stoa serve ...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static int with_nodelay(int fd) {
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* fails harmlessly on non-TCP */
    }
    return fd;
}

int accept4(int sock, struct sockaddr *addr, socklen_t *len, int flags) {
    static int (*real)(int, struct sockaddr *, socklen_t *, int);
    if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
    return with_nodelay(real(sock, addr, len, flags));
}

int accept(int sock, struct sockaddr *addr, socklen_t *len) {
    static int (*real)(int, struct sockaddr *, socklen_t *);
    if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
    return with_nodelay(real(sock, addr, len));
}
