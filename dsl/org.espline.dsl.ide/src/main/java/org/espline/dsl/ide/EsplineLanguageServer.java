package org.espline.dsl.ide;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.util.Modules;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.nio.file.Path;
import org.eclipse.emf.common.util.URI;
import org.eclipse.lsp4j.InitializeParams;
import org.eclipse.lsp4j.jsonrpc.Launcher;
import org.eclipse.lsp4j.services.LanguageClient;
import org.eclipse.xtext.ide.ExecutorServiceProvider;
import org.eclipse.xtext.ide.server.ILanguageServerShutdownAndExitHandler;
import org.eclipse.xtext.ide.server.LanguageServerImpl;
import org.eclipse.xtext.ide.server.ServerModule;
import org.eclipse.xtext.ide.server.UriExtensions;

/**
 * The Xtext language server for {@code .espl} models, on any pair of streams (stdio for {@code espline lsp}).
 *
 * <p>The language is found like every Xtext language a server hosts: through {@code META-INF/services/org.eclipse.xtext.ISetup}
 * ({@link EsplineIdeSetup}, written by the workflow into this module's resources). Unlike Xtext's {@code ServerLauncher},
 * the {@code exit} notification does not end the JVM: {@link #serve} returns, and the caller decides.
 *
 * <p>When {@code out} is {@link System#out} (stdio), {@code System.out} is pointed at {@code System.err} while the server
 * runs, so that nothing printed by a library can corrupt the protocol stream.
 */
public final class EsplineLanguageServer {

    private static final AtomicInteger THREADS = new AtomicInteger();

    private EsplineLanguageServer() {
    }

    /**
     * Serves the language server protocol on {@code in} and {@code out} until the client sends {@code exit} or closes
     * {@code in}.
     */
    public static void run(InputStream in, OutputStream out) {
        serve(in, out);
    }

    /**
     * As {@link #run}, returning the process exit code the protocol asks for: 0 when the client sent {@code shutdown}
     * before {@code exit}, 1 otherwise (also when the input ended without {@code exit}).
     */
    public static int serve(InputStream in, OutputStream out) {
        PrintStream stdout = System.out;
        boolean stdio = out == stdout;
        if (stdio) {
            System.setOut(System.err);
        }
        ExitHandler exitHandler = new ExitHandler();
        Injector injector = Guice.createInjector(Modules.override(new ServerModule())
                .with(binder -> binder.bind(ILanguageServerShutdownAndExitHandler.class).toInstance(exitHandler)));
        ExecutorService protocolThreads = Executors.newCachedThreadPool(EsplineLanguageServer::daemon);
        try {
            LanguageServerImpl server = injector.getInstance(RootedLanguageServer.class);
            Launcher<LanguageClient> launcher = new Launcher.Builder<LanguageClient>()
                    .setLocalService(server)
                    .setRemoteInterface(LanguageClient.class)
                    .setInput(in)
                    .setOutput(out)
                    .setExecutorService(protocolThreads)
                    .create();
            server.connect(launcher.getRemoteProxy());
            Future<Void> listening = launcher.startListening();
            protocolThreads.execute(() -> {
                awaitQuietly(listening);
                exitHandler.exit();
            });
            int exitCode = exitHandler.exitCode.join();
            listening.cancel(true);
            return exitCode;
        } finally {
            injector.getInstance(ExecutorServiceProvider.class).dispose();
            protocolThreads.shutdownNow();
            if (stdio) {
                System.setOut(stdout);
            }
        }
    }

    private static Thread daemon(Runnable task) {
        Thread thread = new Thread(task, "espline-lsp-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    }

    private static void awaitQuietly(Future<?> future) {
        try {
            future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | CancellationException e) {
            // The input ended or broke: the session is over either way.
        }
    }

    /**
     * Xtext's server, except that a client which names no workspace (no folders, no {@code rootUri}: an editor opened
     * on a single file) gets the working directory as its workspace instead of an internal error on {@code initialize}.
     */
    private static final class RootedLanguageServer extends LanguageServerImpl {

        /** Deprecated with {@code rootUri}, yet what Xtext 2.42 asks when a client announces no workspace folders. */
        @Override
        @SuppressWarnings("deprecation")
        protected URI getBaseDir(InitializeParams params) {
            URI baseDir = super.getBaseDir(params);
            return baseDir != null ? baseDir : uris.toUri(Path.of("").toAbsolutePath().toUri().toString());
        }

        private final UriExtensions uris = new UriExtensions();
    }

    /** Records {@code shutdown}; {@code exit} (or the end of the input) completes the exit code instead of ending the JVM. */
    private static final class ExitHandler implements ILanguageServerShutdownAndExitHandler {

        private final CompletableFuture<Integer> exitCode = new CompletableFuture<>();
        private volatile boolean shutdownRequested;

        @Override
        public void shutdown() {
            shutdownRequested = true;
        }

        @Override
        public void exit() {
            exitCode.complete(shutdownRequested ? 0 : 1);
        }
    }
}
