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
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP request that opens a stream: {@code /exec|attach|portforward/<token>}. Redeems the
 * token (404 when it is unknown, used, expired or for another kind of stream), negotiates the
 * protocol and upgrades the connection to SPDY/3.1, replacing the HTTP handlers with the SPDY
 * ones.
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
    String upgrade = request.headers().get(HttpHeaderNames.UPGRADE, "");
    if (!upgrade.equalsIgnoreCase("SPDY/3.1")) {
      refuse(ctx, HttpResponseStatus.BAD_REQUEST, "upgrade to SPDY/3.1 required");
      return;
    }
    List<String> offered = request.headers().getAll(PROTOCOL_HEADER);
    StreamRequest streamRequest = redeemed.get();
    ChannelHandler protocolHandler;
    String chosen;
    if (streamRequest instanceof StreamRequest.PortForward forward) {
      if (!offered.isEmpty() && offered.stream().flatMap(o -> List.of(o.split(",")).stream())
          .noneMatch(o -> o.trim().equals(PORT_FORWARD_PROTOCOL))) {
        refuse(ctx, HttpResponseStatus.FORBIDDEN, "unable to negotiate protocol: client supports " + offered
            + ", server supports [" + PORT_FORWARD_PROTOCOL + "]");
        return;
      }
      Optional<java.nio.file.Path> netns;
      try {
        netns = runtime.networkNamespace(forward.sandboxId());
      } catch (RuntimeException e) {
        refuse(ctx, HttpResponseStatus.NOT_FOUND, e.getMessage());
        return;
      }
      chosen = PORT_FORWARD_PROTOCOL;
      protocolHandler = new SpdyPortForwardHandler(dialer, netns, forward.sandboxId());
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
      protocolHandler = switch (streamRequest) {
        case StreamRequest.Exec exec -> new SpdyRemoteCommandHandler(protocol, exec.stdio(),
            output -> new ExecBridge(runtime, exec, output), STREAM_CREATION_TIMEOUT);
        case StreamRequest.Attach attach -> new SpdyRemoteCommandHandler(protocol, attach.stdio(),
            output -> new AttachBridge(runtime, attach, output), STREAM_CREATION_TIMEOUT);
        case StreamRequest.PortForward ignored -> throw new IllegalStateException();
      };
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
    pipeline.addAfter("spdy-codec", "spdy-connection", new SpdyConnectionHandler());
    pipeline.addAfter("spdy-connection", "k8s-protocol", protocolHandler);
    pipeline.remove(StreamingServer.HTTP_AGGREGATOR);
    pipeline.remove(StreamingServer.HTTP_CODEC);
    pipeline.remove(this);
  }

  private static void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
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
