package dev.marketplace.esnode;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configurator;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.PluginsLoader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts one Elasticsearch node inside this JVM and keeps it running until SIGTERM/SIGINT.
 *
 * <p>The node is the real server of the distribution found at {@code es.path.home} (its
 * {@code lib/} on the module path, its {@code modules/} and {@code plugins/} loaded by
 * Elasticsearch's own PluginsService). What the distribution's CLI would otherwise do is
 * done here, reduced to what a development node needs: settings from arguments and the
 * environment, logging from {@code es.path.conf}, plugin loading, node start, and a
 * shutdown hook that closes the node. Left out: the CLI's second JVM, its keystore,
 * heap ergonomics (the caller passes -Xms/-Xmx), the refusal to run as root, the
 * entitlement agent and production bootstrap checks.
 *
 * <p>Options (argument, then environment variable, then default):
 * <pre>
 *   --http-port N        ES_HTTP_PORT        9200
 *   --transport-port N   ES_TRANSPORT_PORT   http port + 100
 *   --data-dir DIR       ES_DATA_DIR         ./elasticsearch-data  (index data in DIR/data)
 *   --cluster-name NAME  ES_CLUSTER_NAME     marketplace-dev
 *   --node-name NAME     ES_NODE_NAME        node-1
 *   --host ADDR          ES_HOST             127.0.0.1  (http and transport bind here)
 *   -Ekey=value          (repeatable)        any other node setting
 * </pre>
 */
public final class Launcher {

    private static final CountDownLatch STOPPED = new CountDownLatch(1);

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        Settings.Builder extra = Settings.builder();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.startsWith("-E") && arg.contains("=")) {
                String kv = arg.substring(2);
                extra.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
            } else if (arg.startsWith("--") && arg.contains("=")) {
                options.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
            } else if (arg.startsWith("--") && i + 1 < args.length) {
                options.put(arg.substring(2), args[++i]);
            } else {
                throw new IllegalArgumentException("unknown argument [" + arg + "]; see the class comment of " + Launcher.class.getName());
            }
        }

        Path home = requiredPath("es.path.home", "ES_HOME");
        Path config = requiredPath("es.path.conf", "ES_PATH_CONF");
        String host = option(options, "host", "ES_HOST", "127.0.0.1");
        int httpPort = Integer.parseInt(option(options, "http-port", "ES_HTTP_PORT", "9200"));
        int transportPort = Integer.parseInt(option(options, "transport-port", "ES_TRANSPORT_PORT", Integer.toString(httpPort + 100)));
        Path dataDir = Path.of(option(options, "data-dir", "ES_DATA_DIR", "elasticsearch-data")).toAbsolutePath().normalize();
        String clusterName = option(options, "cluster-name", "ES_CLUSTER_NAME", "marketplace-dev");
        String nodeName = option(options, "node-name", "ES_NODE_NAME", "node-1");
        for (String key : options.keySet()) {
            if (!java.util.List.of("host", "http-port", "transport-port", "data-dir", "cluster-name", "node-name").contains(key)) {
                throw new IllegalArgumentException("unknown option [--" + key + "]");
            }
        }

        Path data = Files.createDirectories(dataDir.resolve("data"));
        Path logs = Files.createDirectories(dataDir.resolve("logs"));

        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", data.toString())
            .put("path.logs", logs.toString())
            .put("cluster.name", clusterName)
            .put("node.name", nodeName)
            .put("discovery.type", "single-node")
            .put("network.host", host)
            .put("http.port", httpPort)
            .put("transport.port", transportPort)
            // plain http, no users: a development node on loopback
            .put("xpack.security.enabled", false)
            // a nearly full developer disk must not turn the indices read-only
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put(extra.build())
            .build();

        Environment environment = new Environment(settings, config);
        LogConfigurator.setClusterName(clusterName);
        LogConfigurator.setNodeName(nodeName);
        LogConfigurator.configure(environment, true);
        Logger logger = LogManager.getLogger(Launcher.class);
        logger.info("home [{}], config [{}], data [{}], http [{}:{}], transport [{}:{}]", home, config, data, host, httpPort, host, transportPort);

        PluginsLoader pluginsLoader = PluginsLoader.createPluginsLoader(
            PluginsLoader.loadModulesBundles(environment.modulesDir()),
            PluginsLoader.loadPluginsBundles(environment.pluginsDir()),
            Map.of()
        );

        try {
            Node node = new Node(environment, pluginsLoader);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(node, logger), "es-dev-node-shutdown"));
            node.start();
        } catch (Throwable t) {
            // e.g. the port is taken: say so and exit non-zero (the shutdown hook closes a built node)
            logger.error("node failed to start", t);
            System.exit(1);
        }
        logger.info("node [{}] of cluster [{}] is up on http://{}:{}", nodeName, clusterName, host, httpPort);

        // Stay in the foreground; the shutdown hook releases this when the node is closed.
        STOPPED.await();
    }

    private static void stop(Node node, Logger logger) {
        try {
            logger.info("stopping");
            node.prepareForClose();
            node.close();
            if (node.awaitClose(20, TimeUnit.SECONDS) == false) {
                logger.warn("node did not close within 20s");
            } else {
                logger.info("stopped");
            }
        } catch (Exception e) {
            logger.error("failure while stopping the node", e);
        } finally {
            Configurator.shutdown((LoggerContext) org.apache.logging.log4j.LogManager.getContext(false));
            STOPPED.countDown();
        }
    }

    private static String option(Map<String, String> options, String name, String envName, String fallback) {
        String value = options.get(name);
        if (value == null || value.isEmpty()) {
            value = System.getenv(envName);
        }
        return value == null || value.isEmpty() ? fallback : value;
    }

    private static Path requiredPath(String property, String envName) {
        String value = System.getProperty(property);
        if (value == null || value.isEmpty()) {
            value = System.getenv(envName);
        }
        if (value == null || value.isEmpty()) {
            throw new IllegalStateException("set -D" + property + " (or " + envName + ")");
        }
        Path path = Path.of(value).toAbsolutePath().normalize();
        System.setProperty(property, path.toString()); // native libraries are found through es.path.home
        if (Files.isDirectory(path) == false) {
            throw new IllegalStateException(property + " [" + path + "] is not a directory");
        }
        return path;
    }
}
