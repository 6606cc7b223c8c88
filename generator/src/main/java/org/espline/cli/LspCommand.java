package org.espline.cli;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.util.Modules;
import org.eclipse.lsp4j.jsonrpc.Launcher;
import org.eclipse.lsp4j.services.LanguageClient;
import org.eclipse.xtext.ide.server.ILanguageServerShutdownAndExitHandler;
import org.eclipse.xtext.ide.server.LanguageServerImpl;
import org.eclipse.xtext.ide.server.ServerModule;

/**
 * {@code espline lsp}: the Xtext language server for {@code .espl} on stdin/stdout. The language comes from
 * {@code META-INF/services/org.eclipse.xtext.ISetup} ({@code EsplineIdeSetup}). Returns when the client sends
 * {@code exit} or closes the stream, instead of Xtext's {@code System.exit}.
 */
final class LspCommand {
    private LspCommand() {
    }

    static int run(InputStream in, OutputStream out) {
        // To become EsplineLanguageServer.run(in, out) from org.espline.dsl.ide once it lands.
        CompletableFuture<Void> exit = new CompletableFuture<>();
        ILanguageServerShutdownAndExitHandler onExit = new ILanguageServerShutdownAndExitHandler() {
            @Override
            public void exit() {
                exit.complete(null);
            }

            @Override
            public void shutdown() {
            }
        };
        Injector injector = Guice.createInjector(Modules.override(new ServerModule())
                .with(b -> b.bind(ILanguageServerShutdownAndExitHandler.class).toInstance(onExit)));
        LanguageServerImpl server = injector.getInstance(LanguageServerImpl.class);
        Launcher<LanguageClient> launcher = Launcher.createLauncher(server, LanguageClient.class, in, out);
        server.connect(launcher.getRemoteProxy());
        Future<Void> listening = launcher.startListening();
        try {
            while (!exit.isDone()) {
                try {
                    listening.get(100, TimeUnit.MILLISECONDS);
                    break; // the client closed the stream
                } catch (TimeoutException stillRunning) {
                    // poll for exit again
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            return 1;
        } finally {
            listening.cancel(true);
        }
        return 0;
    }
}
