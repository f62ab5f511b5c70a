package io.stevedore.cli;

import io.stevedore.admin.AdminServer;
import io.stevedore.admin.Observed;
import io.stevedore.admin.Reloads;
import io.stevedore.config.Addresses;
import io.stevedore.config.AdminConfig;
import io.stevedore.config.ConfigException;
import io.stevedore.config.ConfigLoader;
import io.stevedore.config.LoadedConfig;
import io.stevedore.config.LogConfig;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.config.UploadConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.control.ReloadDecision;
import io.stevedore.logging.AccessLog;
import io.stevedore.transport.Daemon;
import io.stevedore.transport.ListenException;
import io.stevedore.transport.SessionLog;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's life in run mode: the {@link ControlPlane} (the data plane and its health checks)
 * and the admin endpoint started together, reloaded from the configuration file, and stopped
 * together. What a reload changes is the control plane's to decide; the runner reads the file,
 * logs and counts. Signals reach it
 * through {@link #reload()} and {@link #requestStop()}, both callable from any thread; the thread
 * that called {@link #start} waits in {@link #awaitStop()}.
 *
 * <p>A stop never waits for a reload: reloads take a lock of their own, held while the file is read
 * (which may take up to the loader's bound), and {@link #close()} takes none. A reload that finds
 * the runner stopped, before or after reading, applies nothing.
 */
public final class Runner implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Runner.class);

    /** How a reload reads the configuration file: {@link ConfigLoader#load}, or a test's stand-in. */
    interface Loader {
        LoadedConfig load(Path file) throws ConfigException;
    }

    /** The daemon could not start; the message is one line for the operator. */
    public static final class StartException extends Exception {

        private static final long serialVersionUID = 1L;

        StartException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Path configFile;
    private final ControlPlane plane;
    private final Reloads reloads;
    private final AdminServer admin;
    /** Null without {@code Log.AccessPath}. */
    private final AccessLog accessLog;
    private final Loader loader;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    /** One reload at a time; never taken by the stop. */
    private final Object reloadLock = new Object();
    /** Its Log and Admin sections are what runs: they change only with a restart. */
    private final StevedoreConfig startedWith;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Runner(Path configFile, Loader loader, StevedoreConfig config, ControlPlane plane, Reloads reloads,
            AdminServer admin, AccessLog accessLog) {
        this.accessLog = accessLog;
        this.configFile = configFile;
        this.loader = loader;
        this.startedWith = config;
        this.plane = plane;
        this.reloads = reloads;
        this.admin = admin;
    }

    /**
     * Starts the data plane on {@code config}, the health checks of its upstreams and, when
     * configured, the admin endpoint; logs one line saying what runs.
     *
     * @param configFile what {@link #reload()} reads
     * @throws StartException when the listening or the admin address cannot be bound
     */
    public static Runner start(Path configFile, StevedoreConfig config, String version)
            throws StartException, InterruptedException {
        return start(configFile, ConfigLoader::load, config, version);
    }

    /** As {@link #start(Path, StevedoreConfig, String)}, reloading through {@code loader}. */
    static Runner start(Path configFile, Loader loader, StevedoreConfig config, String version)
            throws StartException, InterruptedException {
        Instant loadedAt = Instant.now();
        AccessLog accessLog = null;
        if (!config.log().accessPath().isEmpty()) {
            try {
                accessLog = AccessLog.open(config.log());
            } catch (IllegalStateException e) {
                throw new StartException(e.getMessage(), e);
            }
        }
        ControlPlane plane;
        try {
            plane = ControlPlane.start(config, accessLog == null ? SessionLog.OFF : accessLog);
        } catch (ListenException e) {
            closeQuietly(accessLog);
            throw new StartException(e.getMessage(), e);
        } catch (InterruptedException | RuntimeException e) {
            closeQuietly(accessLog);
            throw e;
        }
        try {
            Daemon daemon = plane.daemon();
            Reloads reloads = new Reloads(loadedAt);
            AdminServer admin = null;
            Optional<AdminConfig> adminConfig = config.admin();
            if (adminConfig.isPresent()) {
                admin = AdminServer.start(adminConfig.get().listenAddr(),
                        new Observed(daemon, plane.probes(), reloads, plane.resolves(), version));
            }
            Runner runner = new Runner(configFile, loader, config, plane, reloads, admin, accessLog);
            log.info("stevedore {} running, pid {}: listening on {} ({} event loop(s), {}); upstreams {}; {}", version,
                    ProcessHandle.current().pid(), Addresses.format(daemon.listenAddress()),
                    daemon.loops(), daemon.transport().name().toLowerCase(java.util.Locale.ROOT),
                    describe(daemon.config()), admin == null ? "no admin endpoint"
                            : "admin endpoint http://" + Addresses.format(admin.address()) + "/");
            return runner;
        } catch (IOException e) {
            plane.close();
            closeQuietly(accessLog);
            throw new StartException(e.getMessage(), e);
        } catch (RuntimeException e) {
            plane.close();
            closeQuietly(accessLog);
            throw e;
        }
    }

    private static void closeQuietly(AccessLog accessLog) {
        if (accessLog == null) {
            return;
        }
        try {
            accessLog.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String describe(StevedoreConfig config) {
        return config.upload().upstreams().stream()
                .map(u -> u.name() + " (" + u.type().configName() + ", " + u.peers().size()
                        + (u.peers().size() == 1 ? " peer)" : " peers)"))
                .collect(Collectors.joining(", "));
    }

    /**
     * Reads the configuration file again and applies it: the routes, upstreams, peers and health
     * checks change while sessions keep flowing (see {@link ControlPlane#reload}). A file with errors is
     * logged, error by error, and counted; the running configuration stays. Settings that need a
     * restart are logged as such. Returns whether the file was applied.
     */
    public boolean reload() {
        synchronized (reloadLock) {
            if (closed.get()) {
                return false;
            }
            log.info("reloading {}", configFile);
            LoadedConfig loaded;
            try {
                loaded = loader.load(configFile);
            } catch (ConfigException e) {
                rejected(e);
                return false;
            }
            if (closed.get()) {
                log.info("stopping: {} is not applied", configFile);
                return false;
            }
            return apply(loaded);
        }
    }

    private void rejected(ConfigException e) {
        e.warnings().forEach(w -> log.warn("config: {}", w));
        e.errors().forEach(line -> log.error("config: {}", line));
        if (e.omitted() > 0) {
            log.error("config: {}", ConfigException.more(e.omitted()));
        }
        log.error("reload failed: {} has {} error(s); the running configuration stays", configFile,
                e.omitted() > 0 ? "more than " + e.errors().size() : e.errors().size());
        reloads.rejected();
    }

    private boolean apply(LoadedConfig loaded) {
        loaded.warnings().forEach(w -> log.warn("config: {}", w));
        if (loaded.omitted() > 0) {
            log.warn("config: {}", ConfigException.more(loaded.omitted()));
        }
        loaded.notes().forEach(n -> log.info("config: {}", n));
        StevedoreConfig next = loaded.config();
        UploadConfig before = plane.daemon().config().upload();
        ReloadDecision decision;
        try {
            decision = plane.reload(next);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reloads.rejected();
            log.error("reload interrupted; the running configuration stays");
            return false;
        } catch (RuntimeException e) {
            if (closed.get()) {
                // The stop closed the daemon under this reload: nothing failed that an operator must fix.
                log.info("stopping: the reload is abandoned");
                return false;
            }
            reloads.rejected();
            log.error("reload failed: {}; the running configuration stays", e.toString());
            return false;
        }
        List<String> needRestart = new ArrayList<>(decision.needRestart());
        LogConfig nextLog = next.log();
        LogConfig runningLog = startedWith.log();
        if (!nextLog.accessPath().equals(runningLog.accessPath())) {
            needRestart.add("Log.AccessPath changed to " + (nextLog.accessPath().isEmpty() ? "none"
                    : nextLog.accessPath()) + ": the access log goes on as configured at start until a restart");
        }
        // The access path has its own line above; this one is for the rest of the section.
        if (!new LogConfig(nextLog.path(), nextLog.level(), nextLog.verbose(), nextLog.maxAgeHour(),
                nextLog.rotationTimeHour(), runningLog.accessPath()).equals(runningLog)) {
            needRestart.add("Log changed: logging goes on as configured at start until a restart");
        }
        Optional<InetSocketAddress> askedAdmin = next.admin().map(AdminConfig::listenAddr);
        if (!askedAdmin.equals(startedWith.admin().map(AdminConfig::listenAddr))) {
            needRestart.add("Admin.ListenAddr changed to " + askedAdmin.map(Addresses::format).orElse("none")
                    + ": the admin endpoint stays " + adminAddress().map(Addresses::format).orElse("off")
                    + " until a restart");
        }
        reloads.applied(Instant.now());
        needRestart.forEach(line -> log.warn("reload: {}", line));
        log.info("configuration reloaded from {}: {}; upstreams {}; {} live session(s) kept", configFile,
                ReloadChanges.describe(before, decision.applied().upload()), describe(decision.applied()),
                plane.daemon().sessionCount());
        return true;
    }

    /** Asks the thread in {@link #awaitStop()} to stop everything. Returns at once; any thread. */
    public void requestStop() {
        stopRequested.countDown();
    }

    /**
     * Waits until {@link #requestStop()}, then stops: no more reading, queued datagrams sent,
     * every socket closed. Returns the exit code, 0.
     */
    public int awaitStop() {
        try {
            stopRequested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("stopping");
        close();
        log.info("stopped");
        return Main.OK;
    }

    public Daemon daemon() {
        return plane.daemon();
    }

    /** Where the admin endpoint listens, if it is configured. */
    public Optional<InetSocketAddress> adminAddress() {
        return Optional.ofNullable(admin).map(AdminServer::address);
    }

    public Reloads reloads() {
        return reloads;
    }

    /**
     * Stops the data plane (flushing what is queued), the health checks and the admin endpoint.
     * Idempotent, and it takes no lock a reload holds: a reload blocked reading the file does not
     * delay it.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        stopRequested.countDown();
        plane.close();
        // After the data plane: its shutdown closes the last sessions, whose records come here.
        closeQuietly(accessLog);
        if (admin != null) {
            admin.close();
        }
    }
}
