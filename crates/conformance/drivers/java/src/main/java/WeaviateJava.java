// Drives the official Java Weaviate client (io.weaviate:client 5.x) through a list of actions, for
// the conformance suite.
//
// Input: one JSON document, from the file named by the first argument or from stdin, with the
// shape weaviate_py.py reads (connection, credential, actions), or several as
// {"sessions": [doc, ...]}, played one after the other in this process, each with its own client.
// Output: one JSON document on stdout, {"client": "java", "client_version": "...", "results":
// [...]} (or "sessions": [{"results": [...]}, ...]), one result per action:
// {action, ok, error_class, status, grpc_code, message, value, warnings}.
//
// Every error is data: the exit status is 0 unless the input is unusable (2). The Java client
// throws only at login (AuthException) and on gRPC calls (io.grpc.StatusRuntimeException); a REST
// call that fails returns a Result whose getError() is a WeaviateError: `error_class` is then
// "WeaviateError", `status` its status code and `message` its messages joined with "; ". Thrown
// exceptions give their simple class name, their message and their cause's class. `warnings` are
// the lines the client printed on System.out (Auth001, Auth002) during the action. Classes made by
// the driver carry "synthetic": true: DriverNotConnected, BatchObjectErrors, DriverUnknownAction.

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.weaviate.client.Config;
import io.weaviate.client.WeaviateAuthClient;
import io.weaviate.client.WeaviateClient;
import io.weaviate.client.base.Result;
import io.weaviate.client.base.WeaviateErrorMessage;
import io.weaviate.client.grpc.protocol.v1.WeaviateProtoSearchGet.MetadataRequest;
import io.weaviate.client.grpc.protocol.v1.WeaviateProtoSearchGet.SearchRequest;
import io.weaviate.client.v1.batch.model.ObjectGetResponse;
import io.weaviate.client.v1.data.model.WeaviateObject;
import io.weaviate.client.v1.schema.model.WeaviateClass;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;

public final class WeaviateJava {
  private static final int USAGE_EXIT = 2;
  private static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

  /** An unusable input document: exit 2 with the reason. */
  static final class BadInput extends RuntimeException {
    BadInput(String why) {
      super(why);
    }
  }

  private final JsonObject session;
  private WeaviateClient client;

  private WeaviateJava(JsonObject session) {
    this.session = session;
  }

  public static void main(String[] args) {
    PrintStream stdout = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    JsonObject out = new JsonObject();
    try {
      JsonObject doc = readInput(args);
      // The client prints its warnings on System.out; keep stdout for our one JSON document.
      System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
      out.addProperty("client", "java");
      out.addProperty("client_version", clientVersion());
      if (doc.has("sessions")) {
        JsonArray sessions = new JsonArray();
        for (JsonElement s : doc.getAsJsonArray("sessions")) {
          JsonObject one = new JsonObject();
          one.add("results", new WeaviateJava(s.getAsJsonObject()).runSession(printed));
          sessions.add(one);
        }
        out.add("sessions", sessions);
      } else {
        out.add("results", new WeaviateJava(doc).runSession(printed));
      }
    } catch (BadInput e) {
      System.err.println("weaviate_java: unusable input: " + e.getMessage());
      System.exit(USAGE_EXIT);
    }
    stdout.println(GSON.toJson(out));
    stdout.flush();
    // The client's token refresh runs on non-daemon threads that nothing stops.
    System.exit(0);
  }

  /** The client's version, from the pom.properties Maven put into its jar. */
  private static String clientVersion() {
    try (var in = WeaviateClient.class.getResourceAsStream("/META-INF/maven/io.weaviate/client/pom.properties")) {
      if (in == null) {
        return null;
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      return null;
    }
  }

  private static JsonObject readInput(String[] args) {
    JsonElement doc;
    try (Reader r = args.length > 0 && !args[0].equals("-")
        ? Files.newBufferedReader(Paths.get(args[0]), StandardCharsets.UTF_8)
        : new InputStreamReader(System.in, StandardCharsets.UTF_8)) {
      doc = JsonParser.parseReader(r);
    } catch (IOException | RuntimeException e) {
      throw new BadInput(String.valueOf(e.getMessage()));
    }
    if (!doc.isJsonObject()) {
      throw new BadInput("expected an object with a `connection` object");
    }
    JsonObject obj = doc.getAsJsonObject();
    if (obj.has("sessions")) {
      if (!obj.get("sessions").isJsonArray()) {
        throw new BadInput("`sessions` must be a list");
      }
      obj.getAsJsonArray("sessions").forEach(WeaviateJava::checkSession);
    } else {
      checkSession(obj);
    }
    return obj;
  }

  private static void checkSession(JsonElement s) {
    if (!s.isJsonObject() || !s.getAsJsonObject().has("connection") || !s.getAsJsonObject().get("connection").isJsonObject()) {
      throw new BadInput("expected an object with a `connection` object");
    }
    JsonElement actions = s.getAsJsonObject().get("actions");
    if (actions != null && !actions.isJsonArray()) {
      throw new BadInput("`actions` must be a list");
    }
  }

  private static String str(JsonObject o, String key) {
    JsonElement e = o == null ? null : o.get(key);
    return e == null || e.isJsonNull() ? null : e.getAsString();
  }

  private static int integer(JsonObject o, String key, int def) {
    JsonElement e = o == null ? null : o.get(key);
    return e == null || e.isJsonNull() ? def : e.getAsInt();
  }

  private static List<String> scopes(JsonObject cred) {
    JsonElement e = cred.get("scopes");
    if (e == null || e.isJsonNull()) {
      return null;
    }
    List<String> out = new ArrayList<>();
    e.getAsJsonArray().forEach(s -> out.add(s.getAsString()));
    return out;
  }

  private Config config() {
    JsonObject conn = session.getAsJsonObject("connection");
    URI rest;
    try {
      rest = new URI(str(conn, "rest_url"));
    } catch (Exception e) {
      throw new BadInput("connection.rest_url must be an http(s) URL");
    }
    if (!"http".equals(rest.getScheme()) && !"https".equals(rest.getScheme()) || rest.getHost() == null) {
      throw new BadInput("connection.rest_url must be an http(s) URL");
    }
    String grpc = str(conn, "grpc");
    if (grpc == null || grpc.lastIndexOf(':') < 0) {
      throw new BadInput("connection.grpc must be host:port, got " + grpc);
    }
    boolean grpcSecure = conn.has("grpc_secure") && conn.get("grpc_secure").getAsBoolean();
    int timeout = integer(conn.getAsJsonObject("timeouts"), "query", 30);
    return new Config(rest.getScheme(), rest.getRawAuthority(), new HashMap<>(), timeout, grpcSecure, grpc);
  }

  private WeaviateClient connect() throws Exception {
    Config config = config();
    JsonObject cred = session.has("credential") && session.get("credential").isJsonObject()
        ? session.getAsJsonObject("credential")
        : new JsonObject();
    String kind = cred.has("kind") ? cred.get("kind").getAsString() : "none";
    switch (kind) {
      case "none":
        return new WeaviateClient(config);
      case "api_key":
        return WeaviateAuthClient.apiKey(config, str(cred, "key"));
      case "bearer":
        String refresh = str(cred, "refresh_token");
        return WeaviateAuthClient.bearerToken(config, str(cred, "access_token"), integer(cred, "expires_in", 60),
            refresh == null ? "" : refresh);
      case "password":
        return WeaviateAuthClient.clientPassword(config, str(cred, "username"), str(cred, "password"), scopes(cred));
      case "client_credentials":
        return WeaviateAuthClient.clientCredentials(config, str(cred, "client_secret"), scopes(cred));
      default:
        throw new BadInput("unknown credential kind " + kind);
    }
  }

  private JsonArray runSession(ByteArrayOutputStream printed) {
    JsonArray results = new JsonArray();
    JsonElement actions = session.get("actions");
    if (actions == null) {
      return results;
    }
    for (JsonElement a : actions.getAsJsonArray()) {
      if (!a.isJsonObject()) {
        throw new BadInput("each action must be an object");
      }
      JsonObject act = a.getAsJsonObject();
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("action", str(act, "action"));
      entry.put("ok", true);
      entry.put("error_class", null);
      entry.put("status", null);
      entry.put("grpc_code", null);
      entry.put("message", null);
      printed.reset();
      try {
        entry.putAll(run(act));
      } catch (BadInput e) {
        throw e;
      } catch (Throwable e) {
        entry.putAll(describe(e));
      }
      List<String> warnings = new ArrayList<>();
      for (String line : printed.toString(StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank()) {
          warnings.add(line.strip());
        }
      }
      entry.put("warnings", warnings);
      results.add(GSON.toJsonTree(entry));
    }
    return results;
  }

  private static Map<String, Object> synthetic(String cls, String message) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("ok", false);
    r.put("error_class", cls);
    r.put("synthetic", true);
    r.put("message", message);
    return r;
  }

  private static Map<String, Object> describe(Throwable e) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("ok", false);
    r.put("error_class", e.getClass().getSimpleName());
    r.put("message", e.getMessage());
    Throwable cause = e.getCause();
    if (cause != null) {
      r.put("cause_class", cause.getClass().getSimpleName());
      r.put("cause_message", cause.getMessage());
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StatusRuntimeException) {
        Status.Code code = ((StatusRuntimeException) t).getStatus().getCode();
        r.put("grpc_code", code.name());
        r.put("status", code.value());
        break;
      }
    }
    return r;
  }

  /** The outcome of a call that returned a Result: its value, or its WeaviateError. */
  private static Map<String, Object> fromResult(Result<?> res, Object value) {
    Map<String, Object> r = new LinkedHashMap<>();
    if (res.hasErrors()) {
      r.put("ok", false);
      r.put("error_class", "WeaviateError");
      r.put("status", res.getError().getStatusCode());
      List<WeaviateErrorMessage> messages = res.getError().getMessages();
      r.put("message", messages.stream().map(WeaviateErrorMessage::getMessage).collect(Collectors.joining("; ")));
      messages.stream().filter(m -> m.getThrowable() != null).findFirst()
          .ifPresent(m -> r.put("cause_class", m.getThrowable().getClass().getSimpleName()));
      return r;
    }
    r.put("value", value);
    return r;
  }

  private static Map<String, Object> value(Object v) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("value", v);
    return r;
  }

  private Map<String, Object> run(JsonObject act) throws Exception {
    String name = str(act, "action");
    if ("connect".equals(name)) {
      client = connect();
      return value(null);
    }
    if ("wait".equals(name)) {
      if (!act.has("seconds")) {
        throw new BadInput("wait needs seconds");
      }
      Thread.sleep((long) (act.get("seconds").getAsDouble() * 1000));
      return value(null);
    }
    if (client == null) {
      return synthetic("DriverNotConnected", "no successful connect before this action");
    }
    String coll = str(act, "collection");
    switch (String.valueOf(name)) {
      case "is_ready": {
        Result<Boolean> r = client.misc().readyChecker().run();
        return fromResult(r, r.getResult());
      }
      case "meta": {
        var r = client.misc().metaGetter().run();
        return fromResult(r, r.getResult() == null ? null : r.getResult().getVersion());
      }
      case "own_info": {
        var r = client.users().myUserGetter().run();
        return fromResult(r, r.getResult() == null ? null : r.getResult().getUserId());
      }
      case "create_collection": {
        String cls = str(act, "name");
        var r = client.schema().classCreator().withClass(WeaviateClass.builder().className(cls).build()).run();
        return fromResult(r, cls);
      }
      case "delete_collection": {
        String cls = str(act, "name") != null ? str(act, "name") : coll;
        var r = client.schema().classDeleter().withClassName(cls).run();
        return fromResult(r, null);
      }
      case "insert": {
        Map<String, Object> props = act.has("properties")
            ? GSON.fromJson(act.get("properties"), Map.class)
            : new HashMap<>();
        var r = client.data().creator().withClassName(coll).withProperties(props).run();
        return fromResult(r, r.getResult() == null ? null : r.getResult().getId());
      }
      case "query": {
        // gRPC Search through the client's raw gRPC query (the only gRPC read of v5).
        SearchRequest req = SearchRequest.newBuilder().setCollection(coll).setLimit(integer(act, "limit", 100))
            .setMetadata(MetadataRequest.newBuilder().setUuid(true).build())
            .setUses123Api(true).setUses125Api(true).setUses127Api(true).build();
        return value(client.gRPC().raw().withSearch(req).run().objects.size());
      }
      case "fetch": {
        var r = client.data().objectsGetter().withClassName(coll).withLimit(100).run();
        List<Map<String, Object>> props = new ArrayList<>();
        if (r.getResult() != null) {
          r.getResult().forEach(o -> props.add(o.getProperties()));
        }
        return fromResult(r, canonical(props));
      }
      case "batch_insert": {
        int n = integer(act, "n", 1);
        WeaviateObject[] objs = new WeaviateObject[n];
        for (int i = 0; i < n; i++) {
          Map<String, Object> p = new HashMap<>();
          p.put("n", i);
          objs[i] = WeaviateObject.builder().className(coll).properties(p).build();
        }
        Result<ObjectGetResponse[]> r = client.batch().objectsBatcher().withObjects(objs).run();
        ObjectGetResponse[] got = r.getResult();
        if (got != null) {
          List<String> errors = new ArrayList<>();
          for (ObjectGetResponse o : got) {
            var res = o.getResult();
            if (res != null && res.getErrors() != null && res.getErrors().getError() != null
                && !res.getErrors().getError().isEmpty()) {
              errors.add(res.getErrors().getError().get(0).getMessage());
            }
          }
          if (!errors.isEmpty()) {
            Map<String, Object> out = synthetic("BatchObjectErrors", errors.get(0));
            out.put("value", errors.size());
            return out;
          }
        }
        return fromResult(r, got == null ? null : got.length);
      }
      default:
        return synthetic("DriverUnknownAction", "unknown action " + name);
    }
  }

  /** Each object's properties without unset values, whole numbers as integers, sorted by JSON text. */
  private static List<Map<String, Object>> canonical(List<Map<String, Object>> list) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, Object> p : list) {
      Map<String, Object> clean = new TreeMap<>();
      if (p != null) {
        p.forEach((k, v) -> {
          if (v instanceof Double && ((Double) v) == Math.rint((Double) v)) {
            clean.put(k, ((Double) v).longValue());
          } else if (v != null) {
            clean.put(k, v);
          }
        });
      }
      out.add(clean);
    }
    out.sort(Comparator.comparing(GSON::toJson));
    return out;
  }
}
