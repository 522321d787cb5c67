// SPDX-License-Identifier: MIT
// The 3-service chain of tests/integration/services/svc.py on the JDK:
// com.sun.net.httpserver.HttpServer on a fixed thread pool, and
// java.net.http.HttpClient (HTTP/1.1, its own selector thread writes the
// requests). No agent, nothing that reads or writes a traceparent.
//
//   users    GET /users?rid=N   -> {"user": N}
//   orders   GET /orders?rid=N  -> calls users
//   gateway  GET /api?rid=N     -> calls users, then orders
//
// Usage: java Svc.java --role R --listen HOST:PORT [--down NAME=HOST:PORT,...]
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;

public class Svc {
    static String role;
    static final Map<String, String> downs = new HashMap<>();
    static final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    static String call(String name, String path) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + downs.get(name) + path))
                .timeout(Duration.ofSeconds(20)).GET().build();
        HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200)
            throw new IOException(name + " answered " + r.statusCode());
        return r.body();
    }

    static void reply(HttpExchange x, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, b.length);
        try (OutputStream o = x.getResponseBody()) {
            o.write(b);
        }
    }

    static void handle(HttpExchange x) throws IOException {
        String q = x.getRequestURI().getRawQuery();
        String rid = q != null && q.startsWith("rid=") ? q.substring(4) : "";
        String path = x.getRequestURI().getPath();
        try {
            if (role.equals("users") && path.equals("/users")) {
                reply(x, 200, "{\"user\":\"" + rid + "\"}");
            } else if (role.equals("orders") && path.equals("/orders")) {
                String u = call("users", "/users?rid=" + rid);
                reply(x, 200, "{\"orders\":[\"" + rid + "\"],\"user\":" + u + "}");
            } else if (role.equals("gateway") && path.equals("/api")) {
                String u = call("users", "/users?rid=" + rid);
                String o = call("orders", "/orders?rid=" + rid);
                reply(x, 200, "{\"rid\":\"" + rid + "\",\"user\":" + u + ",\"orders\":" + o + "}");
            } else {
                reply(x, 404, "{\"error\":\"no such path\"}");
            }
        } catch (IOException | InterruptedException e) {
            reply(x, 502, "{\"error\":\"" + e.getMessage() + "\"}");
        }
    }

    public static void main(String[] args) throws IOException {
        String listen = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--role": role = args[i + 1]; break;
                case "--listen": listen = args[i + 1]; break;
                case "--down":
                    for (String d : args[i + 1].split(",")) {
                        String[] kv = d.split("=", 2);
                        if (kv.length == 2) downs.put(kv[0], kv[1]);
                    }
                    break;
                default: throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        String[] hp = listen.split(":");
        HttpServer server = HttpServer.create(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 64);
        server.createContext("/", Svc::handle);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.start();
        System.out.println("ready " + listen);
    }
}
