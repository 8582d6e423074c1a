package dev.berth.runtime.stream;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The WebSocket form of a streaming request: which {@code *.channel.k8s.io} subprotocol the
 * client and server share, and the switch from HTTP to WebSocket framing with the k8s channel
 * codec in front of the protocol handler.
 */
final class WebSocketUpgrade {
  static final int MAX_MESSAGE = 1024 * 1024;

  /** A WebSocket subprotocol: its name, the remote command version it implies and its encoding. */
  record Subprotocol(String id, RemoteCommandProtocol version, boolean base64) {}

  /** What a client that names no subprotocol gets, as from the kubelet: binary, pre-v4 status. */
  static final Subprotocol UNNAMED = new Subprotocol("", RemoteCommandProtocol.V1, false);

  static final List<Subprotocol> REMOTE_COMMAND = List.of(
      new Subprotocol("v5.channel.k8s.io", RemoteCommandProtocol.V5, false),
      new Subprotocol("v4.channel.k8s.io", RemoteCommandProtocol.V4, false),
      new Subprotocol("v4.base64.channel.k8s.io", RemoteCommandProtocol.V4, true),
      new Subprotocol("channel.k8s.io", RemoteCommandProtocol.V1, false),
      new Subprotocol("base64.channel.k8s.io", RemoteCommandProtocol.V1, true));

  static final List<Subprotocol> PORT_FORWARD = List.of(
      new Subprotocol("v4.channel.k8s.io", RemoteCommandProtocol.V4, false),
      new Subprotocol("v4.base64.channel.k8s.io", RemoteCommandProtocol.V4, true));

  private WebSocketUpgrade() {}

  static boolean requested(FullHttpRequest request) {
    return request.headers().get(HttpHeaderNames.UPGRADE, "").equalsIgnoreCase(HttpHeaderValues.WEBSOCKET.toString());
  }

  static List<String> offered(FullHttpRequest request) {
    List<String> offered = new ArrayList<>();
    for (String header : request.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL)) {
      for (String one : header.split(",")) {
        if (!one.isBlank()) {
          offered.add(one.trim());
        }
      }
    }
    return offered;
  }

  /** The first of the client's subprotocols the server supports; {@link #UNNAMED} if it named none. */
  static Optional<Subprotocol> negotiate(List<String> offered, List<Subprotocol> supported) {
    if (offered.isEmpty()) {
      return Optional.of(UNNAMED);
    }
    for (String one : offered) {
      for (Subprotocol protocol : supported) {
        if (protocol.id().equals(one)) {
          return Optional.of(protocol);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * The most ports one WebSocket port forward may name: each is a connection opened at once,
   * and the kubelet asks for a handful.
   */
  static final int MAX_PORTS = 16;

  /**
   * The ports of a WebSocket port forward: every {@code port} query parameter, each possibly a
   * comma-separated list, as the kubelet reads them. At most {@link #MAX_PORTS}, each once: a
   * port's channels are known to the client by its number, so a repeated port is refused rather
   * than given a second pair of channels.
   */
  static List<Integer> ports(String uri) {
    List<String> values = new QueryStringDecoder(uri).parameters().getOrDefault("port", List.of());
    if (values.isEmpty()) {
      throw new StreamProtocolException("query parameter \"port\" is required");
    }
    List<String> named = new ArrayList<>();
    for (String value : values) {
      named.addAll(List.of(value.split(",", -1)));
    }
    if (named.size() > MAX_PORTS) {
      throw new StreamProtocolException("a port forward may name at most " + MAX_PORTS + " ports, this one names "
          + named.size());
    }
    List<Integer> ports = new ArrayList<>();
    for (String one : named) {
      int port;
      try {
        port = Integer.parseInt(one.trim());
      } catch (NumberFormatException e) {
        throw new StreamProtocolException("unable to parse \"" + one + "\" as a port");
      }
      if (port < 1 || port > 65535) {
        throw new StreamProtocolException("port \"" + one + "\" must be between 1 and 65535");
      }
      if (ports.contains(port)) {
        throw new StreamProtocolException("port " + port + " is named more than once");
      }
      ports.add(port);
    }
    return ports;
  }

  /**
   * Answers the handshake and replaces {@code router} (and the HTTP handlers before it) with
   * WebSocket framing, control frames, the channel codec and {@code protocolHandler}. False if
   * the client's WebSocket version is not one Netty speaks (it has been told so).
   */
  static boolean upgrade(ChannelHandlerContext ctx, FullHttpRequest request, Subprotocol chosen,
      ChannelHandler protocolHandler) {
    String location = "ws://" + request.headers().get(HttpHeaderNames.HOST, "localhost") + request.uri();
    WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory(location,
        chosen.id().isEmpty() ? null : chosen.id(), false, MAX_MESSAGE).newHandshaker(request);
    if (handshaker == null) {
      WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
      return false;
    }
    // Handshaking puts the WebSocket decoder and encoder in front of the HTTP codec and takes
    // that codec out once the response is written; frames arrive from the next read on.
    handshaker.handshake(ctx.channel(), request);
    ChannelPipeline pipeline = ctx.pipeline();
    pipeline.addAfter(ctx.name(), "ws-aggregator", new WebSocketFrameAggregator(MAX_MESSAGE));
    pipeline.addAfter("ws-aggregator", "ws-control", new WebSocketControlHandler());
    pipeline.addAfter("ws-control", "k8s-channels", new ChannelMessageCodec(chosen.base64()));
    pipeline.addAfter("k8s-channels", "k8s-protocol", protocolHandler);
    if (pipeline.get(StreamingServer.HTTP_AGGREGATOR) != null) {
      pipeline.remove(StreamingServer.HTTP_AGGREGATOR);
    }
    pipeline.remove(ctx.handler());
    return true;
  }
}
