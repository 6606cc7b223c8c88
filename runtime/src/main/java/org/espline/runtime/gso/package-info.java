/**
 * Software segmentation and receive offload for TCP around ESP: {@link org.espline.runtime.gso.GsoSegmenter}
 * cuts a TCP super-packet into MSS-sized segments after one classification (tx), and
 * {@link org.espline.runtime.gso.GroTable} coalesces the decrypted segments of a flow into one large packet
 * (rx), in the manner of Linux's tcp_gso_segment and tcp_gro_receive. The pipeline stages around them are
 * {@link org.espline.runtime.pipeline.GsoStage} and {@link org.espline.runtime.pipeline.GroStage}.
 *
 * <p>Both work over fragments that hold their owner buffer
 * ({@link org.espline.runtime.buffer.PacketBuffer#addFragment(org.espline.runtime.buffer.PacketBuffer, byte[], int, int)}),
 * so payload bytes are not copied here; a later stage that needs contiguous bytes (the JCA seal) linearises
 * and counts it.
 */
package org.espline.runtime.gso;
