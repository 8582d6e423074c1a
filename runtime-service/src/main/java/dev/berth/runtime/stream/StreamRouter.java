package dev.berth.runtime.stream;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyVersion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP request that opens a stream: {@code /exec|attach|portforward/<token>}. Redeems the
 * token (404 when it is unknown, used, expired or for another kind of stream), negotiates the
 * protocol and upgrades the connection to SPDY/3.1 or WebSocket (as the request asks),
 * replacing the HTTP handlers with that transport's framing in front of the protocol handler.
 */
final class StreamRouter extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(StreamRouter.class);
  static final String PROTOCOL_HEADER = "X-Stream-Protocol-Version";
  static final String PORT_FORWARD_PROTOCOL = "portforward.k8s.io";
  private static final List<RemoteCommandProtocol> SPDY_PROTOCOLS = List.of(
      RemoteCommandProtocol.V4, RemoteCommandProtocol.V3, RemoteCommandProtocol.V2, RemoteCommandProtocol.V1);
  static final Duration STREAM_CREATION_TIMEOUT = Duration.ofSeconds(30);

  private final StreamTokens tokens;
  private final StreamRuntime runtime;
  private final PortDialer dialer;

  StreamRouter(StreamTokens tokens, StreamRuntime runtime, PortDialer dialer) {
    this.tokens = tokens;
    this.runtime = runtime;
    this.dialer = dialer;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    String path = new QueryStringDecoder(request.uri()).path();
    String[] parts = path.split("/");
    if (parts.length != 3 || !parts[0].isEmpty()) {
      refuse(ctx, HttpResponseStatus.NOT_FOUND, "no such path " + path);
      return;
    }
    String kind = parts[1];
    Optional<StreamRequest> redeemed = tokens.consume(parts[2]);
    if (redeemed.isEmpty() || !redeemed.get().kind().equals(kind)) {
      log.warn("streaming request /{}/{}... from {} refused: {} token", kind,
          parts[2].substring(0, Math.min(4, parts[2].length())), ctx.channel().remoteAddress(),
          redeemed.isEmpty() ? "unknown, used or expired" : "a " + redeemed.get().kind());
      refuse(ctx, HttpResponseStatus.NOT_FOUND, "not found");
      return;
    }
    StreamRequest streamRequest = redeemed.get();
    if (!targetRuns(ctx, streamRequest)) {
      return;
    }
    if (WebSocketUpgrade.requested(request)) {
      upgradeToWebSocket(ctx, request, streamRequest);
      return;
    }
    String upgrade = request.headers().get(HttpHeaderNames.UPGRADE, "");
    if (!upgrade.equalsIgnoreCase("SPDY/3.1")) {
      refuse(ctx, HttpResponseStatus.BAD_REQUEST, "upgrade to SPDY/3.1 or websocket required");
      return;
    }
    List<String> offered = request.headers().getAll(PROTOCOL_HEADER);
    ChannelHandler protocolHandler;
    String chosen;
    if (streamRequest instanceof StreamRequest.PortForward forward) {
      if (!offered.isEmpty() && offered.stream().flatMap(o -> List.of(o.split(",")).stream())
          .noneMatch(o -> o.trim().equals(PORT_FORWARD_PROTOCOL))) {
        refuse(ctx, HttpResponseStatus.FORBIDDEN, "unable to negotiate protocol: client supports " + offered
            + ", server supports [" + PORT_FORWARD_PROTOCOL + "]");
        return;
      }
      Optional<Optional<Path>> netns = networkNamespace(ctx, forward);
      if (netns.isEmpty()) {
        return;
      }
      chosen = PORT_FORWARD_PROTOCOL;
      protocolHandler = new SpdyPortForwardHandler(portOpener(ctx, netns.get(), forward));
    } else {
      RemoteCommandProtocol protocol;
      if (offered.isEmpty()) {
        protocol = RemoteCommandProtocol.V1;
        chosen = null;
      } else {
        Optional<RemoteCommandProtocol> negotiated = RemoteCommandProtocol.negotiate(offered, SPDY_PROTOCOLS);
        if (negotiated.isEmpty()) {
          refuse(ctx, HttpResponseStatus.FORBIDDEN, "unable to negotiate protocol: client supports " + offered);
          return;
        }
        protocol = negotiated.get();
        chosen = protocol.id();
      }
      protocolHandler = new SpdyRemoteCommandHandler(protocol, stdio(streamRequest), bridges(streamRequest),
          STREAM_CREATION_TIMEOUT);
    }
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
    response.headers().set(HttpHeaderNames.CONNECTION, "Upgrade").set(HttpHeaderNames.UPGRADE, "SPDY/3.1");
    if (chosen != null) {
      response.headers().set(PROTOCOL_HEADER, chosen);
    }
    ctx.writeAndFlush(response);
    // The response has gone through the HTTP encoder; from here on the bytes are SPDY frames.
    ChannelPipeline pipeline = ctx.pipeline();
    pipeline.addAfter(ctx.name(), "spdy-codec", new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
    // Port forward grants SPDY windows itself, as the pod takes the bytes.
    boolean grantOnReceipt = !(streamRequest instanceof StreamRequest.PortForward);
    pipeline.addAfter("spdy-codec", "spdy-connection", new SpdyConnectionHandler(grantOnReceipt));
    pipeline.addAfter("spdy-connection", "k8s-protocol", protocolHandler);
    pipeline.remove(StreamingServer.HTTP_AGGREGATOR);
    pipeline.remove(StreamingServer.HTTP_CODEC);
    pipeline.remove(this);
    upgraded(pipeline);
  }

  /** The connection is a stream now: its handshake deadline no longer applies. */
  private static void upgraded(ChannelPipeline pipeline) {
    if (pipeline.get(HandshakeDeadline.NAME) != null) {
      pipeline.remove(HandshakeDeadline.NAME);
    }
  }

  /** Opens forwarded connections in the pod's network namespace, on this connection's event loop. */
  private PortConnection.Opener portOpener(ChannelHandlerContext ctx, Optional<Path> netns,
      StreamRequest.PortForward forward) {
    return (port, client) -> PortForwardBridge.open(dialer, netns, forward.sandboxId(), port, client,
        ctx.channel().eventLoop());
  }

  private void upgradeToWebSocket(ChannelHandlerContext ctx, FullHttpRequest request, StreamRequest streamRequest) {
    List<String> offered = WebSocketUpgrade.offered(request);
    List<WebSocketUpgrade.Subprotocol> supported = streamRequest instanceof StreamRequest.PortForward
        ? WebSocketUpgrade.PORT_FORWARD : WebSocketUpgrade.REMOTE_COMMAND;
    Optional<WebSocketUpgrade.Subprotocol> chosen = WebSocketUpgrade.negotiate(offered, supported);
    if (chosen.isEmpty()) {
      refuse(ctx, HttpResponseStatus.FORBIDDEN, "unable to negotiate protocol: client supports " + offered
          + ", server supports " + supported.stream().map(WebSocketUpgrade.Subprotocol::id).toList());
      return;
    }
    ChannelHandler protocolHandler;
    if (streamRequest instanceof StreamRequest.PortForward forward) {
      List<Integer> ports;
      try {
        ports = WebSocketUpgrade.ports(request.uri());
      } catch (StreamProtocolException e) {
        refuse(ctx, HttpResponseStatus.BAD_REQUEST, e.getMessage());
        return;
      }
      Optional<Optional<Path>> netns = networkNamespace(ctx, forward);
      if (netns.isEmpty()) {
        return;
      }
      protocolHandler = new WebSocketPortForwardHandler(portOpener(ctx, netns.get(), forward), ports);
    } else {
      protocolHandler = new WebSocketRemoteCommandHandler(chosen.get().version(), stdio(streamRequest),
          bridges(streamRequest));
    }
    ChannelPipeline pipeline = ctx.pipeline();
    if (WebSocketUpgrade.upgrade(ctx, request, chosen.get(), protocolHandler)) {
      upgraded(pipeline);
    }
  }

  /** Whether the exec's or attach's container still runs; the client is told when it does not. */
  private boolean targetRuns(ChannelHandlerContext ctx, StreamRequest request) {
    String containerId = switch (request) {
      case StreamRequest.Exec exec -> exec.containerId();
      case StreamRequest.Attach attach -> attach.containerId();
      case StreamRequest.PortForward ignored -> null;
    };
    if (containerId == null) {
      return true;
    }
    try {
      runtime.requireRunning(containerId);
      return true;
    } catch (RuntimeException e) {
      refuse(ctx, HttpResponseStatus.NOT_FOUND, e.getMessage());
      return false;
    }
  }

  /** The pod's network namespace; empty (and the client told) when the pod is gone. */
  private Optional<Optional<Path>> networkNamespace(ChannelHandlerContext ctx, StreamRequest.PortForward forward) {
    try {
      return Optional.of(runtime.networkNamespace(forward.sandboxId()));
    } catch (RuntimeException e) {
      refuse(ctx, HttpResponseStatus.NOT_FOUND, e.getMessage());
      return Optional.empty();
    }
  }

  private static StreamRequest.Stdio stdio(StreamRequest request) {
    return switch (request) {
      case StreamRequest.Exec exec -> exec.stdio();
      case StreamRequest.Attach attach -> attach.stdio();
      case StreamRequest.PortForward ignored -> throw new IllegalArgumentException("a port forward has no stdio");
    };
  }

  private Function<CommandOutput, CommandInput> bridges(StreamRequest request) {
    return switch (request) {
      case StreamRequest.Exec exec -> output -> new ExecBridge(runtime, exec, output);
      case StreamRequest.Attach attach -> output -> new AttachBridge(runtime, attach, output);
      case StreamRequest.PortForward ignored -> throw new IllegalArgumentException("a port forward runs no command");
    };
  }

  private static void refuse(
ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        Unpooled.copiedBuffer(message + "\n", StandardCharsets.UTF_8));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
        .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
        .set(HttpHeaderNames.CONNECTION, "close");
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.warn("streaming request from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}
