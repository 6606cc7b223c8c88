package org.espline.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code espline lsp} answers initialize over piped streams and returns on exit. */
class LspCommandTest {

    private static void send(OutputStream out, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        out.write(("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
    }

    /** One LSP message body (the headers read and dropped). */
    private static String receive(InputStream in) throws IOException {
        int length = -1;
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("stream ended");
            }
            if (c == '\n') {
                String header = line.toString(StandardCharsets.US_ASCII).trim();
                line.reset();
                if (header.isEmpty()) {
                    break;
                }
                if (header.startsWith("Content-Length:")) {
                    length = Integer.parseInt(header.substring("Content-Length:".length()).trim());
                }
            } else {
                line.write(c);
            }
        }
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    @TempDir
    Path workspace;

    @Test
    @Timeout(60)
    void answersInitializeAndExitsOnExit() throws Exception {
        PipedOutputStream toServer = new PipedOutputStream();
        PipedInputStream serverIn = new PipedInputStream(toServer, 1 << 16);
        PipedInputStream fromServer = new PipedInputStream(1 << 20);
        PipedOutputStream serverOut = new PipedOutputStream(fromServer);
        CompletableFuture<Integer> status = CompletableFuture.supplyAsync(() -> LspCommand.run(serverIn, serverOut));

        send(toServer, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"processId\":null,\"rootUri\":\"" + workspace.toUri() + "\",\"capabilities\":{}}}");
        String response = receive(fromServer);
        while (!response.contains("\"id\":1") && !response.contains("\"id\": 1")) {
            response = receive(fromServer); // notifications (log messages) may come first
        }
        assertTrue(response.contains("\"capabilities\""), response);
        assertTrue(response.contains("completionProvider"), response);

        send(toServer, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"shutdown\",\"params\":null}");
        send(toServer, "{\"jsonrpc\":\"2.0\",\"method\":\"exit\",\"params\":null}");
        assertEquals(0, status.get(30, TimeUnit.SECONDS));
        toServer.close();
    }
}
