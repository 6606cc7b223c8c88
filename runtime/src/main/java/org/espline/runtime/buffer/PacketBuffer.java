package org.espline.runtime.buffer;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A packet in one backing array with room in front and behind, modelled on the Linux sk_buff.
 *
 * <pre>
 *   0 = head            data                 tail                 end = array.length
 *   +-------------------+--------------------+--------------------+
 *   |     headroom      |   linear packet    |      tailroom      |   then fragments[0..fragmentCount)
 *   +-------------------+--------------------+--------------------+
 *   invariant: 0 &lt;= data &lt;= tail &lt;= end
 * </pre>
 *
 * <p>The packet's bytes are the linear part followed by the fragments in order. A clone shares the
 * backing array (and fragments) with its original: both are then "shared" and {@link #ensureWritable()}
 * gives the caller a private copy before it writes. Every such copy, every growth of head/tailroom and
 * every linearisation is counted in {@link BufferStats}, because those are the per-packet costs the
 * fast path exists to avoid.
 *
 * <h2>Fragments that hold another buffer</h2>
 * A fragment may reference bytes of another packet buffer, its <em>owner</em> (like an skb frag holding a page
 * reference): GSO segments point into the super-packet's payload, a GRO packet appends the payloads of the
 * segments it swallowed. {@link #addFragment(PacketBuffer, byte[], int, int)} then {@linkplain #retain() retains}
 * the owner, and dropping the fragment (trim, clear, linearise, release) releases it, so the owner returns to
 * its pool only after the last buffer reading it let go. Such fragments are read-only: nobody writes into
 * another buffer's bytes. EspOutput reads them as the crypto's input and writes the ciphertext into the
 * segment's own tailroom, then drops them; a stage that needs the bytes contiguous and writable linearises
 * (counted).
 *
 * <p>Not thread-safe: one stage owns a packet at a time and hands it on (linear ownership). The reference
 * count alone is atomic, because the last holder of an owner may release it on another thread (a link).
 */
public final class PacketBuffer {
    /** Size of the private spare area that can hold an ESP trailer + ICV as a fragment (255 pad + 2 + 32 ICV + slack). */
    public static final int TRAILER_AREA_SIZE = 320;

    private byte[] array;
    private int data;
    private int tail;
    /** Reference count of {@link #array} shared between clones; null while never cloned. */
    private AtomicInteger shareCount;

    private final int maxFragments;
    private final byte[][] fragArrays;
    private final int[] fragOffsets;
    private final int[] fragLengths;
    /** The buffer each fragment's bytes belong to (retained while referenced), or null for foreign arrays. */
    private final PacketBuffer[] fragOwners;
    private int fragmentCount;
    /** Holders of this buffer: its owner plus every fragment of another buffer that reads its bytes. */
    private final AtomicInteger refs = new AtomicInteger(1);
    /** Spare area owned by this buffer for a trailer fragment; allocated once, on first need. */
    private byte[] trailerArea;

    private final BufferStats stats;
    final BufferPool pool;
    boolean pooled;

    // --- metadata carried with the packet through the pipeline ---
    private Object securityAssociation;
    private long sequenceNumber;
    private int flags;
    /** TSO: TCP payload bytes per segment (Linux's gso_size), 0 for a packet the device sends as it is. */
    private int gsoSize;
    /** TSO: segments the packet becomes at {@link #gsoSize} (Linux's gso_segs). */
    private int gsoSegments;

    /** Metadata flag: the payload was decrypted and its ICV verified already (e.g. by an offload device). */
    public static final int FLAG_CRYPTO_DONE = 1;
    /** Metadata flag: the packet is handled by an offload device. */
    public static final int FLAG_OFFLOADED = 1 << 1;
    /**
     * Metadata flag, with {@link #FLAG_CRYPTO_DONE}: the device's verdict was an ICV failure (the stack drops the
     * packet as it would after its own failed check).
     */
    public static final int FLAG_CRYPTO_FAILED = 1 << 2;
    /**
     * Metadata flag: the transport checksum was verified on the way in (Linux's CHECKSUM_UNNECESSARY), e.g. by GRO,
     * which checks every segment it coalesces; a port may tell the host so (virtio-net's DATA_VALID) instead of
     * having the host sum the packet again.
     */
    public static final int FLAG_CHECKSUM_VERIFIED = 1 << 3;
    /**
     * Metadata flag: the packet's ESP sequence number (in {@link #sequenceNumber()}) was taken already, with those of
     * the other segments of its GSO super-packet in one step, and the packet accounted against the SA's lifetimes;
     * ESP output seals with it instead of taking another (as Linux's ESP GSO advances the counter by gso_segs).
     */
    public static final int FLAG_SEQUENCE_RESERVED = 1 << 4;

    /**
     * @param capacity     bytes in the backing array
     * @param maxFragments fragment slots (0 = linear only)
     * @param stats        where copies and linearisations are counted
     */
    public PacketBuffer(int capacity, int maxFragments, BufferStats stats) {
        this(new byte[capacity], maxFragments, stats, null);
    }

    PacketBuffer(byte[] array, int maxFragments, BufferStats stats, BufferPool pool) {
        if (maxFragments < 0) {
            throw new IllegalArgumentException("maxFragments: " + maxFragments + " (expected: >= 0)");
        }
        this.array = array;
        this.maxFragments = maxFragments;
        this.fragArrays = new byte[maxFragments][];
        this.fragOffsets = new int[maxFragments];
        this.fragLengths = new int[maxFragments];
        this.fragOwners = new PacketBuffer[maxFragments];
        this.stats = stats;
        this.pool = pool;
    }

    /** Wraps a copy of {@code bytes} with the given head- and tailroom (tests and tools; counts nothing). */
    public static PacketBuffer copyOf(byte[] bytes, int off, int len, int headroom, int tailroom, int maxFragments, BufferStats stats) {
        PacketBuffer b = new PacketBuffer(headroom + len + tailroom, maxFragments, stats);
        b.reserve(headroom);
        System.arraycopy(bytes, off, b.array, b.put(len), len);
        return b;
    }

    // ------------------------------------------------------------------ geometry

    /** The backing array of the linear part. Re-read it after any call that may copy. */
    public byte[] array() { return array; }

    /** Offset of the first packet byte in {@link #array()}. */
    public int data() { return data; }

    /** Offset one past the last linear packet byte in {@link #array()}. */
    public int tail() { return tail; }

    public int end() { return array.length; }

    public int headroom() { return data; }

    public int tailroom() { return array.length - tail; }

    /** Bytes in the linear part. */
    public int linearLength() { return tail - data; }

    /** Total packet length: linear part plus fragments. */
    public int length() {
        int len = tail - data;
        for (int i = 0; i < fragmentCount; i++) {
            len += fragLengths[i];
        }
        return len;
    }

    public boolean isLinear() { return fragmentCount == 0; }

    public BufferStats stats() { return stats; }

    /** Empties the packet and leaves {@code headroom} bytes in front. Only on an empty buffer, like skb_reserve. */
    public void reserve(int headroom) {
        if (tail != data || headroom < 0 || headroom > array.length) {
            throw new IllegalStateException("reserve(" + headroom + ") on " + this + " (expected: empty buffer, 0 <= headroom <= end)");
        }
        data = headroom;
        tail = headroom;
    }

    /** Prepends {@code n} bytes from the headroom; returns the new data offset. */
    public int push(int n) {
        if (n < 0 || n > data) {
            throw new IndexOutOfBoundsException("push(" + n + "): headroom " + data + " (expected: 0 <= n <= headroom)");
        }
        data -= n;
        return data;
    }

    /** Removes {@code n} bytes from the front of the linear part; returns the new data offset. */
    public int pull(int n) {
        if (n < 0 || n > tail - data) {
            throw new IndexOutOfBoundsException("pull(" + n + "): linear length " + (tail - data));
        }
        data += n;
        return data;
    }

    /** Appends {@code n} bytes from the tailroom; returns the offset where they start. Linear packets only. */
    public int put(int n) {
        if (n < 0 || n > array.length - tail) {
            throw new IndexOutOfBoundsException("put(" + n + "): tailroom " + (array.length - tail));
        }
        if (fragmentCount != 0) {
            throw new IllegalStateException("put on a fragmented packet: " + this);
        }
        int at = tail;
        tail += n;
        return at;
    }

    /** Cuts the packet to {@code length} bytes (dropping fragments past it). */
    public void trim(int length) {
        if (length < 0 || length > length()) {
            throw new IndexOutOfBoundsException("trim(" + length + "): length " + length());
        }
        int linear = tail - data;
        if (length <= linear) {
            tail = data + length;
            clearFragments();
            return;
        }
        int left = length - linear;
        for (int i = 0; i < fragmentCount; i++) {
            if (left <= fragLengths[i]) {
                fragLengths[i] = left;
                for (int j = i + 1; j < fragmentCount; j++) {
                    fragArrays[j] = null;
                    releaseOwner(j);
                }
                fragmentCount = i + 1;
                return;
            }
            left -= fragLengths[i];
        }
    }

    /** Makes the packet empty again, with its full array as tailroom and no metadata. */
    public void clear() {
        data = 0;
        tail = 0;
        clearFragments();
        securityAssociation = null;
        sequenceNumber = 0;
        flags = 0;
        gsoSize = 0;
        gsoSegments = 0;
    }

    // ------------------------------------------------------------------ fragments

    public int maxFragments() { return maxFragments; }

    public int fragmentCount() { return fragmentCount; }

    public byte[] fragmentArray(int i) { checkFragment(i); return fragArrays[i]; }

    public int fragmentOffset(int i) { checkFragment(i); return fragOffsets[i]; }

    public int fragmentLength(int i) { checkFragment(i); return fragLengths[i]; }

    /** Appends a fragment; returns false (and changes nothing) when all slots are in use. */
    public boolean addFragment(byte[] a, int off, int len) {
        return addFragment(null, a, off, len);
    }

    /**
     * Appends a fragment over {@code owner}'s linear bytes {@code [off, off + len)}, taking over the caller's hold on
     * {@code owner} instead of retaining it (GRO merging a segment it owns alone: no count changes hands twice); the
     * caller must not release {@code owner} afterwards. Returns false (and takes nothing) when all slots are in use.
     */
    public boolean addFragmentTakingHold(PacketBuffer owner, int off, int len) {
        return appendFragment(owner, owner.array(), off, len, false);
    }

    /**
     * Appends a fragment over bytes that belong to {@code owner} (its linear array or one of its own
     * fragments), retaining {@code owner} until the fragment is dropped; returns false (and changes and
     * retains nothing) when all slots are in use. A null owner is a foreign array nobody recycles.
     */
    public boolean addFragment(PacketBuffer owner, byte[] a, int off, int len) {
        return appendFragment(owner, a, off, len, true);
    }

    private boolean appendFragment(PacketBuffer owner, byte[] a, int off, int len, boolean retain) {
        if (fragmentCount == maxFragments) {
            return false;
        }
        if (off < 0 || len < 0 || off + len > a.length) {
            throw new IndexOutOfBoundsException("fragment off=" + off + " len=" + len + " array=" + a.length);
        }
        if (owner == this) {
            throw new IllegalArgumentException("a buffer cannot hold itself: " + this);
        }
        fragArrays[fragmentCount] = a;
        fragOffsets[fragmentCount] = off;
        fragLengths[fragmentCount] = len;
        fragOwners[fragmentCount] = owner == null || !retain ? owner : owner.retain();
        fragmentCount++;
        return true;
    }

    /** Free fragment slots. */
    public int freeFragments() { return maxFragments - fragmentCount; }

    /** The buffer whose bytes fragment {@code i} reads (retained by this one), or null. */
    public PacketBuffer fragmentOwner(int i) { checkFragment(i); return fragOwners[i]; }

    /**
     * A private spare area of {@link #TRAILER_AREA_SIZE} bytes for an ESP trailer fragment, or null when
     * no fragment slot is free or a fragment already reads the area (an ESP packet encapsulated again).
     * Allocated once per buffer, reused for every packet it carries.
     */
    public byte[] trailerArea() {
        if (fragmentCount == maxFragments) {
            return null;
        }
        return trailerAreaOnceFragmentsDropped();
    }

    /**
     * The spare trailer area for a packet whose fragments are all about to be dropped (ESP output encrypted
     * their bytes out of place into the linear part), so a slot will be free when the trailer is attached; or
     * null when the buffer has no slots, or a fragment still reads the area.
     */
    public byte[] trailerAreaOnceFragmentsDropped() {
        if (maxFragments == 0) {
            return null;
        }
        for (int i = 0; i < fragmentCount; i++) {
            if (trailerArea != null && fragArrays[i] == trailerArea) {
                return null;
            }
        }
        return ownTrailerArea();
    }

    private byte[] ownTrailerArea() {
        if (trailerArea == null) {
            trailerArea = new byte[TRAILER_AREA_SIZE];
        }
        return trailerArea;
    }

    private void clearFragments() {
        for (int i = 0; i < fragmentCount; i++) {
            fragArrays[i] = null;
            releaseOwner(i);
        }
        fragmentCount = 0;
    }

    private void releaseOwner(int i) {
        final PacketBuffer owner = fragOwners[i];
        if (owner != null) {
            fragOwners[i] = null;
            owner.release();
        }
    }

    private void checkFragment(int i) {
        if (i < 0 || i >= fragmentCount) {
            throw new IndexOutOfBoundsException("fragment " + i + " (expected: 0 <= i < " + fragmentCount + ")");
        }
    }

    /**
     * Copies the fragments into the linear part, growing the tail if needed. Counted as a
     * linearisation: call it only when the next step truly needs contiguous bytes.
     */
    public void linearise() {
        if (fragmentCount == 0) {
            return;
        }
        int extra = length() - (tail - data);
        if (isShared() || extra > array.length - tail) {
            reallocate(data, extra);
        }
        for (int i = 0; i < fragmentCount; i++) {
            System.arraycopy(fragArrays[i], fragOffsets[i], array, tail, fragLengths[i]);
            tail += fragLengths[i];
        }
        clearFragments();
        stats.linearisations.increment();
    }

    // ------------------------------------------------------------------ sharing

    /** True when another buffer shares the backing array: writing would change its bytes too. */
    public boolean isShared() {
        AtomicInteger c = shareCount;
        return c != null && c.get() > 1;
    }

    /**
     * A clone sharing the backing array and fragments (skb_clone): no bytes are copied. Both buffers are
     * shared until one of them calls {@link #ensureWritable()} or is released.
     */
    public PacketBuffer cloneShared() {
        if (shareCount == null) {
            shareCount = new AtomicInteger(1);
        }
        shareCount.incrementAndGet();
        PacketBuffer c = new PacketBuffer(array, maxFragments, stats, null);
        c.shareCount = shareCount;
        c.data = data;
        c.tail = tail;
        for (int i = 0; i < fragmentCount; i++) {
            c.addFragment(fragOwners[i], fragArrays[i], fragOffsets[i], fragLengths[i]);
            if (fragArrays[i] == trailerArea) {
                // The clone now reads our trailer area: never write it again (next packet, or the pool's
                // next acquirer); a fresh one is allocated on next need.
                trailerArea = null;
            }
        }
        c.securityAssociation = securityAssociation;
        c.sequenceNumber = sequenceNumber;
        c.flags = flags;
        c.gsoSize = gsoSize;
        c.gsoSegments = gsoSegments;
        return c;
    }

    /**
     * Makes the bytes private to this buffer so they may be written in place. Copies only when the
     * buffer is shared (counted in {@link BufferStats#copies}); otherwise a no-op. Fragments are
     * linearised in the same copy, since a shared fragment is as unwritable as a shared head.
     */
    public void ensureWritable() {
        if (!isShared()) {
            return;
        }
        int extra = length() - (tail - data);
        reallocate(data, extra);
        for (int i = 0; i < fragmentCount; i++) {
            System.arraycopy(fragArrays[i], fragOffsets[i], array, tail, fragLengths[i]);
            tail += fragLengths[i];
        }
        clearFragments();
    }

    /**
     * Guarantees {@code headroom} bytes in front and {@code tailroom} bytes behind the linear part, and a
     * private array. Copies (counted) only when the room is short or the buffer is shared.
     */
    public void ensureRoom(int headroom, int tailroom) {
        if (!isShared() && data >= headroom && array.length - tail >= tailroom) {
            return;
        }
        int newHead = Math.max(headroom, data);
        int newTail = Math.max(tailroom, array.length - tail);
        byte[] old = array;
        int len = tail - data;
        byte[] fresh = new byte[newHead + len + newTail];
        System.arraycopy(old, data, fresh, newHead, len);
        unshare();
        array = fresh;
        data = newHead;
        tail = newHead + len;
        stats.copies.increment();
    }

    /** Copies the linear part into a new private array with {@code extraTail} more tailroom. */
    private void reallocate(int headroom, int extraTail) {
        int len = tail - data;
        byte[] fresh = new byte[headroom + len + Math.max(array.length - tail, extraTail)];
        System.arraycopy(array, data, fresh, headroom, len);
        unshare();
        array = fresh;
        data = headroom;
        tail = headroom + len;
        stats.copies.increment();
    }

    private void unshare() {
        if (shareCount != null) {
            shareCount.decrementAndGet();
            shareCount = null;
        }
    }

    /**
     * Adds a holder: {@link #release()} must then be called once more before the buffer really goes back.
     * Used by {@link #addFragment(PacketBuffer, byte[], int, int)}; returns this.
     */
    public PacketBuffer retain() {
        if (refs.getAndIncrement() <= 0) {
            refs.getAndDecrement();
            throw new IllegalStateException("retain of a released buffer: " + this);
        }
        return this;
    }

    /**
     * Adds {@code n} holders in one step (GSO: one per segment that will read this super-packet, each then taken over
     * by {@link #addFragmentTakingHold}).
     */
    public PacketBuffer retain(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n: " + n + " (expected: n >= 0)");
        }
        if (n > 0 && refs.getAndAdd(n) <= 0) {
            refs.getAndAdd(-n);
            throw new IllegalStateException("retain of a released buffer: " + this);
        }
        return this;
    }

    /** Holders (1 for a buffer that no other buffer's fragment reads). */
    public int refCount() { return refs.get(); }

    /**
     * Drops one holder; the last one returns the buffer to its pool (if any), drops its share of the bytes
     * and releases the owners its fragments held.
     */
    public void release() {
        // The common case, one holder: the caller holds the only reference, so nobody else can retain or
        // release it concurrently and the count needs no atomic read-modify-write.
        final int left = refs.get() == 1 ? 0 : refs.decrementAndGet();
        if (left > 0) {
            return;
        }
        if (left == 0) {
            refs.lazySet(0);
        }
        if (pool != null) {
            pool.release(this);
        } else {
            // Nobody recycles a pool-less buffer's bytes, so releasing it twice stays harmless, as before
            // reference counts: it keeps one holder and only lets go of what it shared and held.
            refs.set(1);
            unshare();
            clearFragments();
        }
    }

    /** Drops the share without returning to a pool; used by the pool itself. */
    void resetForReuse(byte[] backing) {
        unshare();
        array = backing;
        clear();
    }

    /** A pooled buffer handed out again has one holder: its new owner. */
    void resetRefCount() {
        // Handed over through the pool's ring (whose CAS publishes it) or taken back by the same thread.
        refs.lazySet(1);
    }

    // ------------------------------------------------------------------ metadata

    /** The SA this packet belongs to (set by classification or SA lookup), or null. */
    public Object securityAssociation() { return securityAssociation; }

    public void securityAssociation(Object sa) { this.securityAssociation = sa; }

    /** The full 64-bit ESP sequence number assigned or inferred for this packet. */
    public long sequenceNumber() { return sequenceNumber; }

    public void sequenceNumber(long seq) { this.sequenceNumber = seq; }

    public int flags() { return flags; }

    public boolean hasFlag(int flag) { return (flags & flag) != 0; }

    public void setFlag(int flag) { flags |= flag; }

    public void clearFlag(int flag) { flags &= ~flag; }

    /** TSO: TCP payload bytes per segment the device cuts this super-packet into; 0 when it is not one. */
    public int gsoSize() { return gsoSize; }

    /** TSO: how many segments (and ESP sequence numbers) this super-packet becomes; 0 when it is not one. */
    public int gsoSegments() { return gsoSegments; }

    /** Marks a TCP super-packet for segmentation by the device: {@code segments} of at most {@code size} payload bytes. */
    public void gso(int size, int segments) {
        this.gsoSize = size;
        this.gsoSegments = segments;
    }

    /** The packet bytes (linear + fragments) as a new array: for tests and tools, never the hot path. */
    public byte[] toByteArray() {
        byte[] out = Arrays.copyOfRange(array, data, data + length());
        int at = tail - data;
        for (int i = 0; i < fragmentCount; i++) {
            System.arraycopy(fragArrays[i], fragOffsets[i], out, at, fragLengths[i]);
            at += fragLengths[i];
        }
        return out;
    }

    @Override
    public String toString() {
        return "PacketBuffer[data=" + data + " tail=" + tail + " end=" + array.length
                + " frags=" + fragmentCount + "/" + maxFragments + (isShared() ? " shared" : "") + "]";
    }
}
