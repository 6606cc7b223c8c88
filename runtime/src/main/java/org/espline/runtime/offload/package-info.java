/**
 * Offload devices behind the xfrmdev-style API ({@link org.espline.runtime.offload.OffloadDevice}): push SAs, not
 * policies, to a device that may refuse them; ask it per packet ({@code offloadOk}); mark packets it handled
 * ({@link org.espline.runtime.buffer.PacketBuffer#FLAG_OFFLOADED}, {@link
 * org.espline.runtime.buffer.PacketBuffer#FLAG_CRYPTO_DONE} with its verdict); software is the fallback of the same
 * API, with the same wire bytes, counted (EsplineOffloadFallback).
 *
 * <p>Backends: {@link org.espline.runtime.offload.SoftwareDevice} (the JCA reference and Bouncy Castle's
 * lightweight engines, both on the pipeline thread), {@link org.espline.runtime.offload.LookasideAccelerator}
 * (own workers, bounded rings, BUSY, latency and rate) and {@link org.espline.runtime.offload.InlineNic} (SA table,
 * algorithm list, its own thread, rx marks crypto-done). The stages {@link
 * org.espline.runtime.offload.OffloadEncryptStage} and {@link org.espline.runtime.offload.OffloadDecryptStage} run
 * any of them.
 */
package org.espline.runtime.offload;
