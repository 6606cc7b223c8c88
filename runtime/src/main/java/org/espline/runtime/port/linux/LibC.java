package org.espline.runtime.port.linux;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The few libc calls the gateway ports need, bound once through JNA's direct mapping (no per-call reflection or
 * argument boxing: primitives and preallocated {@link Pointer}s only, so a call on the packet path allocates
 * nothing). Errors come back as -1 with {@link Native#getLastError()} holding errno, never as exceptions, so an
 * empty non-blocking socket costs no allocation either. Constants are those of Linux x86-64 and arm64 (the
 * generic ABI); {@link #AVAILABLE} is false elsewhere and the ports refuse to open.
 */
public final class LibC {
    /** True when libc was bound (Linux with JNA's native library loadable). */
    public static final boolean AVAILABLE;
    /** Why not, when {@link #AVAILABLE} is false. */
    public static final String UNAVAILABLE_REASON;

    static {
        boolean ok = false;
        String why = null;
        if (!Platform.isLinux()) {
            why = "the gateway ports need Linux (this is " + System.getProperty("os.name") + ")";
        } else {
            try {
                Native.register(LibC.class, Platform.C_LIBRARY_NAME);
                ok = true;
            } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
                why = "cannot bind libc through JNA: " + e.getMessage();
            }
        }
        AVAILABLE = ok;
        UNAVAILABLE_REASON = why;
    }

    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;

    public static final int EAGAIN = 11;
    public static final int EINTR = 4;
    public static final int EINVAL = 22;
    public static final int ENOPROTOOPT = 92;
    public static final int EIO = 5;

    public static final int AF_INET = 2;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_REUSEADDR = 2;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_RCVBUFFORCE = 33;
    public static final int SO_SNDBUFFORCE = 32;
    public static final int IPPROTO_UDP = 17;
    public static final int SOL_UDP = 17;
    /** UDP GSO: the cmsg/sockopt value is the segment size (Linux 4.18). */
    public static final int UDP_SEGMENT = 103;
    /** UDP GRO: receive coalesced datagrams, cmsg carries the segment size (Linux 5.0). */
    public static final int UDP_GRO = 104;
    public static final int MSG_DONTWAIT = 0x40;

    public static final short POLLIN = 1;
    public static final int CLONE_NEWNET = 0x40000000;

    private LibC() {
    }

    public static native int open(String path, int flags);

    public static native int close(int fd);

    public static native int ioctl(int fd, long request, Pointer arg);

    public static native long read(int fd, Pointer buf, long count);

    public static native long write(int fd, Pointer buf, long count);

    public static native int socket(int domain, int type, int protocol);

    public static native int bind(int fd, Pointer addr, int addrlen);

    public static native int setsockopt(int fd, int level, int name, Pointer value, int len);

    public static native int recvmmsg(int fd, Pointer msgvec, int vlen, int flags, Pointer timeout);

    public static native int sendmmsg(int fd, Pointer msgvec, int vlen, int flags);

    /** sendmmsg with the message vector's raw address (a slice of a preallocated array, no Pointer object). */
    public static native int sendmmsg(int fd, long msgvec, int vlen, int flags);

    public static native long sendmsg(int fd, Pointer msg, int flags);

    public static native long recvmsg(int fd, Pointer msg, int flags);

    public static native int poll(Pointer fds, long nfds, int timeoutMillis);

    public static native String strerror(int errnum);

    /** Moves the calling thread into the namespace of {@code fd} (nstype 0: any, or CLONE_NEWNET). */
    public static native int setns(int fd, int nstype);

    /** errno of the last call on this thread. */
    public static int errno() {
        return Native.getLastError();
    }

    /** "message (errno N)" for the last call's error; for setup paths only (allocates). */
    public static String lastError() {
        final int e = errno();
        return strerror(e) + " (errno " + e + ")";
    }
}
