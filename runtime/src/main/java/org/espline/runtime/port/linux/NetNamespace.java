package org.espline.runtime.port.linux;

import java.io.IOException;

/**
 * Enters a named network namespace ({@code ip netns add NAME}, a file under /var/run/netns) on the calling thread
 * only: sockets and TUN devices that thread opens afterwards live in that namespace, while the rest of the JVM
 * stays where it was. For gateways and tests that run several namespaces' ports in one process.
 */
public final class NetNamespace {
    private NetNamespace() {
    }

    /** Moves the calling thread into namespace {@code name}; an IOException names the namespace and the cause. */
    public static void enter(String name) throws IOException {
        if (!LibC.AVAILABLE) {
            throw new IOException("netns " + name + ": " + LibC.UNAVAILABLE_REASON);
        }
        if (name.isEmpty() || name.contains("/")) {
            throw new IOException("netns \"" + name + "\": not a namespace name");
        }
        final int fd = LibC.open("/var/run/netns/" + name, LibC.O_CLOEXEC);
        if (fd < 0) {
            throw new IOException("netns " + name + ": cannot open /var/run/netns/" + name + ": " + LibC.lastError());
        }
        try {
            if (LibC.setns(fd, LibC.CLONE_NEWNET) < 0) {
                throw new IOException("netns " + name + ": setns: " + LibC.lastError());
            }
        } finally {
            LibC.close(fd);
        }
    }
}
